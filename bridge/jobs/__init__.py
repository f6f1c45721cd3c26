"""Jobs: the bounded queue, the model worker process, cancellation and result files."""
