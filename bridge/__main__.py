"""Run the CLI with ``python -m bridge``."""

from bridge.cli import main

raise SystemExit(main())
