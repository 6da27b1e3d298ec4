"""Provider adapters: one module per upstream API, all speaking the canonical (OpenAI chat) format."""
