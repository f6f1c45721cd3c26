"""Dynamics and feel: velocities learnt from POP909's piano, humanize and swing."""
