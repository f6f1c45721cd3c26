"""The Markov baseline: count tables, the part writer and generator that serve from them, and their trainer."""
