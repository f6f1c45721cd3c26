"""Genre idioms and per-part controls: walking bass, bossa, EDM pumping, comping figures, density, register."""
