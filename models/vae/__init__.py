"""The chord-and-texture VAE: interpolation between clips and texture transfer."""
