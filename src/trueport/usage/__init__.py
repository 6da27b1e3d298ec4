"""Usage: request records, their costs from the pricing catalog, and the batched writer."""
