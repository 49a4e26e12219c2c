"""Mocheong's pure domain: models, ports and use cases, free of frameworks and drivers."""
