#!/usr/bin/env bash
# Create ./.venv and install continuo into it (editable), with the test tools.
# Usage: bash scripts/setup.sh            (then: .venv/bin/continuo serve)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "continuo needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# The CPU build of torch first: an unpinned install would pull the CUDA build (gigabytes).
# Users with a GPU install their CUDA torch first (pyproject only asks for torch>=2.4).
if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
    .venv/bin/python -m pip install --quiet "torch==2.13.0"
fi
.venv/bin/python -m pip install --quiet -e ".[test]"
echo "continuo installed in ./.venv"
