"""Eval suites: stored cases a tenant's guard policy should get right, their runs and history."""
