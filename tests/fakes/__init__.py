"""Local fake servers that speak real providers' wire protocols, for the integration tests."""
