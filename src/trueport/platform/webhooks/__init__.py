"""Webhook subscriptions, deliveries and the dead-letter queue."""
