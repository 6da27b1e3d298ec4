"""Periodic background jobs that run inside the app and coordinate across replicas."""
