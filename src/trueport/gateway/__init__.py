"""The data plane: OpenAI- and Anthropic-compatible endpoints on a plain-ASGI hot path."""
