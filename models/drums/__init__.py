"""The drums part: a small transformer over a drum-event vocabulary, learnt from the Groove MIDI Dataset."""
