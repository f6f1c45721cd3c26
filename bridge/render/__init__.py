"""Audio stems: instruments, effect chains from presets, mixing, loudness and file output."""
