"""One daemon for the example tests: the bundled model, replies on a fixed free port, a fake Live."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.app import App
from tests.bridge.live_fake import FakeLive
from tests.conftest import free_port, make_settings


@pytest.fixture(scope="module")
def daemon(tmp_path_factory) -> Iterator[App]:
    """Examples listen for replies on one port, as a DAW does, so the daemon answers there (not 7301)."""
    folder = tmp_path_factory.mktemp("examples")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(folder / "config"))
        live = FakeLive(reply_port=free_port())
        app = App(make_settings(folder, reply_port=free_port(), ableton_port=live.port,
                                ableton_reply_port=live.reply_port))
        app.live = live  # type: ignore[attr-defined]
        app.start()
        yield app
        app.stop()
        live.close()
