"""The documentation tells the truth: the OSC table matches the routes; README commands work."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
import pytest

from bridge.osc.docs import current
from tests.conftest import REPO


def test_osc_doc_lists_every_address_as_built() -> None:
    written = (REPO / "docs" / "osc.md").read_text(encoding="utf-8")
    assert written == current(), "docs/osc.md is stale: run `.venv/bin/python -m bridge.osc.docs`"


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
