"""Local servers that speak the providers' real wire protocols (OpenAI Chat Completions SSE,
Anthropic Messages SSE, Kakao Local and Nominatim JSON), scripted per test, so the real SDK
clients and HTTP adapters run end to end without a network. The benchmark and chaos scripts
start them too."""
