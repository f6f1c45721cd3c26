"""The arpeggiator part: rate, pattern, octaves and gate over the chords or the keys' voicings."""
