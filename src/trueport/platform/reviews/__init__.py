"""Guard findings waiting for a person (human in the loop)."""
