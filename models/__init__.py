"""Generation models behind the one API in models.api: the Markov baseline, chord tools, registry."""
