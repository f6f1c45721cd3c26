"""MIDI: files, ports and note conversion."""
