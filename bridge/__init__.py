"""continuo's daemon: OSC and MIDI front ends, the job engine, rendering and the CLI."""

__version__ = "0.1.0"
