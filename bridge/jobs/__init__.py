"""Jobs: the pipeline, the supervised queue shared with rendering, the model worker, result files and kept results."""
