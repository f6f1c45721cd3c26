#!/usr/bin/env bash
# Run the whole test suite (installs into ./.venv first if needed). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/continuo ] || ! .venv/bin/python -c 'import pytest, hypothesis' 2>/dev/null; then
    bash scripts/setup.sh
fi
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "no tests were collected: that is a failure" >&2
    exit 1
fi
exit "$status"
