"""Guard: violation detection (PII, secrets, prompt injection, bias) and its enforcement."""
