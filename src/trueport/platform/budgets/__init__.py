"""Budgets per tenant and per key, in currency or tokens, over calendar periods."""
