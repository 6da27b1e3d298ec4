"""Limits: rate limits (and, later, budgets and circuit breakers)."""
