"""MIDI: files, ports, clock, capture, the scheduler thread and playback."""
