"""The documentation tells the truth: the OSC tables match the routes and the errors; README commands work."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time

import pytest

from bridge import errors
from bridge.osc.docs import current, error_classes, error_table
from tests.conftest import REPO


def test_osc_doc_lists_every_address_as_built() -> None:
    written = (REPO / "docs" / "osc.md").read_text(encoding="utf-8")
    assert written == current(), "docs/osc.md is stale: run `.venv/bin/python -m bridge.osc.docs`"


def test_osc_doc_error_codes_are_those_of_bridge_errors() -> None:
    written = (REPO / "docs" / "osc.md").read_text(encoding="utf-8").split("## Error codes", 1)[1]
    rows = [line for line in written.splitlines() if line.startswith("| `")]
    assert rows == error_table().splitlines(), (
        "docs/osc.md's error codes differ from bridge/errors.py: run `.venv/bin/python -m bridge.osc.docs`")
    for code in ("internal", "bad_preset", "soundfont", "plugin_load", "render_failed", "packet_too_large"):
        assert f"| `{code}` |" in written


def test_every_error_has_its_own_code_and_meaning() -> None:
    classes = [value for value in vars(errors).values()
               if isinstance(value, type) and issubclass(value, errors.ContinuoError)]
    assert classes == error_classes(), "an error class without a code of its own would share its parent's"
    codes = [error.code for error in classes]
    assert len(codes) == len(set(codes)), f"two errors share a code: {codes}"
    undocumented = [error.__name__ for error in classes if not (error.__doc__ or "").strip()]
    assert not undocumented, f"give these errors a one-line docstring (their meaning in docs/osc.md): {undocumented}"


@pytest.mark.skipif(not shutil.which("oscsend"), reason="liblo-tools not installed")
def test_readme_oscsend_generate_example_works(app) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = re.search(r"oscsend localhost 7300 /continuo/generate.*?\n.*?\n", readme).group(0)
    argv = shlex.split(command.replace("\\\n", " "))
    assert argv[:3] == ["oscsend", "localhost", "7300"]
    argv[2] = str(app.osc.port)
    subprocess.run(argv, check=True, timeout=10)
    deadline = time.monotonic() + 15
    while app.status()["done"] + app.status()["failed"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (app.status()["done"], app.status()["failed"]) == (1, 0)
    assert len(list(app.settings.output_dir.glob("song1-*.mid"))) == 1
