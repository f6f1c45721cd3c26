"""Shared fixtures: a running daemon on free loopback ports, clients, settings for tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.app import App
from bridge.client import Client
from bridge.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        return udp.getsockname()[1]


def make_settings(tmp_path: Path, **overrides) -> Settings:
    # MIDI off unless a test asks for it: apps must not open real ports on the developer's machine.
    # The Markov model unless a test asks for another: it loads and answers in milliseconds, and the
    # daemon's behaviour under test does not depend on the model (tests/bridge/test_default_model.py
    # runs the default one, the transformer, end to end).
    flags = {"port": 0, "reply_port": 0, "output_dir": tmp_path / "out", "log_level": "info",
             "midi_backend": "none", "model": "markov", **overrides}
    return load_settings(env={}, flags=flags)


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's config or writes into the user's data folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator:
    """Start an App with settings overrides (and an optional fake model loader); stopped after the test."""
    apps: list[App] = []

    def start(loader=None, **overrides) -> App:
        settings = make_settings(tmp_path, **overrides)
        app = App(settings, loader) if loader else App(settings)
        app.start()
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.stop()


@pytest.fixture
def app(start_app) -> App:
    return start_app()


@pytest.fixture
def connect(app) -> Iterator:
    """Open clients to the ``app`` fixture: connect("udp"|"tcp"|"slip")."""
    clients: list[Client] = []

    def open_client(transport: str = "udp", target: App | None = None, host: str = "127.0.0.1") -> Client:
        port = (target or app).osc.port
        if transport == "slip":
            client = Client(port=port, transport="tcp", slip=True)
        else:
            client = Client(port=port, transport=transport, bind_host=host)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def fake_app(start_app):
    """Start an App whose worker runs tests/bridge/fakes.py's FakeGenerator; waits until it is loaded."""
    import time

    from tests.bridge.fakes import load_fake

    def start(**overrides) -> App:
        app = start_app(loader=load_fake, **overrides)
        deadline = time.monotonic() + 30
        while app.engine.status()["model_state"] != "ready":
            assert time.monotonic() < deadline, "the fake model did not load"
            time.sleep(0.05)
        return app

    return start
