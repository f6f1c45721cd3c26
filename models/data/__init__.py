"""Training data: corpus readers (POP909, music21, MIDI folders), the held-out split, token caches, windows."""
