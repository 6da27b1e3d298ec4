"""Pure translations between wire formats (no I/O): OpenAI chat is the canonical format."""
