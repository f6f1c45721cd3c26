"""Logging setup, in one place: the CLI calls it once, and each child process the daemon starts calls
it again with the level the CLI chose (a spawned process starts with no logging set up)."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str, process: str = "") -> None:
    """Log at ``level`` (debug, info, warning, error) to stderr; ``process`` names a child process in each line."""
    where = f" {process}" if process else ""
    logging.basicConfig(level=level.upper(), format=f"%(asctime)s{where} %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
