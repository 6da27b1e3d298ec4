"""Usage queries: request records, aggregates, CSV export."""
