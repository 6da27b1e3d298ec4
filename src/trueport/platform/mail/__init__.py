"""Outgoing mail over SMTP, with plain-text and HTML templates."""
