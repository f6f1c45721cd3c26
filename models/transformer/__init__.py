"""The transformer family (and its LSTM baseline): tokens, grammar, network, decoding, generator, checkpoints, training."""
