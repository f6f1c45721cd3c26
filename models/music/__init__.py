"""Music helpers every model and reader shares: chord symbols, keys, meters, note clean-up, metrics."""
