"""The harmonizer: a key from the melody, then the whole chord progression decoded under a learnt chord model."""
