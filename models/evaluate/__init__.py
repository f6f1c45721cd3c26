"""Evaluation (``continuo eval``): held-out likelihood and metrics of generated music for every model."""
