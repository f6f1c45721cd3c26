"""Generation models: shared types and music helpers, the Markov and transformer families, their data, training and evaluation."""
