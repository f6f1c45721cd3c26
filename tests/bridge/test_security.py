"""Secure defaults: loopback unless allowed, source allowlist, per-client rate limit, no code in model files."""

from __future__ import annotations

import ipaddress
import pickle
import socket
import time
from pathlib import Path

import pytest

from bridge import __version__
from bridge.client import Client
from bridge.osc.packets import encode_message


def test_default_bind_is_loopback_only(app) -> None:
    assert app.osc.udp.getsockname()[0] == "127.0.0.1"
    assert app.osc.tcp.getsockname()[0] == "127.0.0.1"


def _own_address() -> str | None:
    """This computer's address on its network (not loopback), or None when it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # picks the outgoing interface; nothing is sent
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if ipaddress.ip_address(address).is_loopback else address


@pytest.mark.parametrize("allow, heard", [("{own}", True), ("{network}", True), ("198.51.100.7", False)])
def test_allow_list_decides_who_is_heard(start_app, allow: str, heard: bool) -> None:
    own = _own_address()
    if own is None:
        pytest.skip("this computer has no network address besides loopback")
    network = str(ipaddress.ip_network(f"{own}/24", strict=False))
    app = start_app(host="0.0.0.0", allow=allow.format(own=own, network=network))
    with Client(host=own, port=app.osc.port, bind_host=own) as client:
        if heard:
            assert client.ping() == __version__
            return
        client.send("/continuo/ping")
        deadline = time.monotonic() + 5
        while app.status()["refused"] == 0:
            assert time.monotonic() < deadline, "the request was neither answered nor refused"
            time.sleep(0.01)
        assert client.replies.empty()  # refused before anything could answer it


def test_open_bind_with_allow_list_still_serves_this_computer(start_app) -> None:
    app = start_app(host="0.0.0.0", allow="192.0.2.200")
    assert app.osc.udp.getsockname()[0] == "0.0.0.0"
    with Client(port=app.osc.port) as client:
        assert client.ping()


def test_rate_limit_drops_and_counts_a_flood_then_recovers(start_app) -> None:
    app = start_app(rate_limit_per_second=50)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    ping = encode_message("/continuo/ping", [])
    try:
        for _ in range(500):
            sock.sendto(ping, ("127.0.0.1", app.osc.port))
        replies = 0
        try:
            while True:
                sock.recv(1024)
                replies += 1
        except TimeoutError:
            pass
        assert 40 <= replies <= 120  # the burst allowance, not the flood
        assert app.status()["rate_limited"] >= 100  # counted (the kernel may drop some of the flood first)
        sock.settimeout(0.2)
        deadline = time.monotonic() + 5  # the allowance refills at 50 a second
        while True:
            sock.sendto(ping, ("127.0.0.1", app.osc.port))
            try:
                assert sock.recv(1024).startswith(b"/continuo/pong")
                break
            except TimeoutError:
                assert time.monotonic() < deadline, "the client is still refused after the flood"
    finally:
        sock.close()


# -- model files carry data, never code ------------------------------------------------------------

class _Payload:
    def __reduce__(self):  # unpickling this would run code
        return (print, ("unpickled!",))


def _checkpoint(path: Path, tensors: dict, metadata: dict[str, str]) -> Path:
    from safetensors.torch import save_file

    save_file(tensors, str(path), metadata=metadata)
    return path


def _shipped_metadata() -> dict[str, str]:
    from safetensors import safe_open

    from models.registry import transformer_checkpoint_path

    with safe_open(str(transformer_checkpoint_path()), framework="pt") as handle:
        return dict(handle.metadata())


@pytest.mark.parametrize("field", ["config", "tokenizer", "info"])
def test_a_checkpoint_whose_metadata_is_a_pickle_is_refused_by_name(tmp_path: Path, field: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from models.registry import load_generator

    def no_unpickling(*args, **kwargs):
        raise AssertionError("a model file was unpickled")

    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(pickle, "load", no_unpickling)
    metadata = {**_shipped_metadata(), field: pickle.dumps(_Payload(), protocol=0).decode("latin-1")}
    path = _checkpoint(tmp_path / f"{field}.safetensors", {"w": torch.zeros(2)}, metadata)
    with pytest.raises(ValueError) as info:
        load_generator(str(path))
    assert str(path) in str(info.value) and "checkpoint" in str(info.value), info.value


def test_a_checkpoint_whose_tensors_hold_a_pickle_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from models.registry import load_generator

    def no_unpickling(*args, **kwargs):
        raise AssertionError("a model file was unpickled")

    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(pickle, "load", no_unpickling)
    payload = torch.frombuffer(bytearray(pickle.dumps(_Payload())), dtype=torch.uint8)
    path = _checkpoint(tmp_path / "tensors.safetensors", {"embed.weight": payload}, _shipped_metadata())
    with pytest.raises(ValueError, match="does not match the network") as info:
        load_generator(str(path))
    assert str(path) in str(info.value)
