"""Settings: one frozen dataclass; precedence defaults < TOML file < CONTINUO_* environment < flags."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from bridge.errors import ConfigError

ENV_PREFIX = "CONTINUO_"
LOG_LEVELS = ("debug", "info", "warning", "error")


def default_output_dir() -> Path:
    return Path(platformdirs.user_data_dir("continuo")) / "output"


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir("continuo")) / "config.toml"


def _setting(default: Any, help: str, **limits: Any) -> Any:
    return field(default=default, metadata={"help": help, **limits})


@dataclass(frozen=True)
class Settings:
    """Every knob of the daemon. Field names are the TOML keys; env vars are CONTINUO_<NAME>."""

    host: str = _setting("127.0.0.1", "address to listen on (loopback unless you allow others)")
    port: int = _setting(7300, "OSC port, UDP and TCP (0: any free port)", min=0, max=65535)
    reply_port: int = _setting(
        7301, "UDP port replies go to, on the sender's address (0: the port the request came from)", min=0, max=65535
    )
    allow: tuple[str, ...] = _setting((), "client addresses or networks allowed when host is not loopback")
    output_dir: Path = _setting(Path(), "folder for MIDI results (default: the user data folder)")
    log_level: str = _setting("info", "log level: " + ", ".join(LOG_LEVELS), choices=LOG_LEVELS)
    model: str = _setting("default", "model to load")
    device: str = _setting("auto", "torch device for the model: auto, cpu, cuda, cuda:N")
    queue_size: int = _setting(16, "jobs waiting at most; more are refused", min=1, max=10_000)
    job_timeout_seconds: float = _setting(60.0, "a job running longer is stopped", min=1.0, max=3600.0)
    reply_max_bytes: int = _setting(
        4096, "largest reply datagram (Pure Data reads at most 4096)", min=512, max=65507
    )
    packet_max_bytes: int = _setting(65507, "largest request accepted, UDP or TCP", min=512, max=16 << 20)
    tcp_max_connections: int = _setting(64, "TCP clients connected at once", min=1, max=4096)
    tcp_idle_seconds: float = _setting(600.0, "a silent TCP client is closed after this", min=1.0, max=86400.0)
    rate_limit_per_second: float = _setting(
        10_000.0, "requests per second per client address; more are dropped and counted", min=1.0, max=1e6
    )
    max_clips: int = _setting(256, "clips kept in memory at most", min=1, max=100_000)
    max_clip_notes: int = _setting(20_000, "notes one clip may hold", min=1, max=1_000_000)

    def __post_init__(self) -> None:
        if self.output_dir == Path():
            object.__setattr__(self, "output_dir", default_output_dir())
        for f in fields(self):
            _check(f, getattr(self, f.name))
        for entry in self.allow:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as err:
                raise ConfigError(
                    f"allow entry {entry!r} is not an IP address or network (e.g. 192.168.1.20 or 192.168.1.0/24)"
                ) from err
        if not is_loopback(self.host) and not self.allow:
            raise ConfigError(
                f"host {self.host!r} listens beyond this computer; name the clients allowed to connect "
                "with --allow ADDRESS[,NETWORK...] (e.g. --allow 192.168.1.20), or keep host 127.0.0.1"
            )

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def to_toml(self) -> str:
        lines = []
        for f in fields(self):
            lines.append(f"# {f.metadata['help']}")
            lines.append(f"{f.name} = {_toml_value(getattr(self, f.name))}")
        return "\n".join(lines) + "\n"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(f: dataclasses.Field, value: Any, origin: str = "") -> None:
    meta = f.metadata
    where = f" in {origin}" if origin else ""
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(f"{f.name} {value!r}{where} is not one of: {', '.join(meta['choices'])}")
    if "min" in meta and not meta["min"] <= value <= meta["max"]:
        raise ConfigError(f"{f.name} {value!r}{where} is out of range: use {meta['min']} to {meta['max']}")


def _coerce(f: dataclasses.Field, value: Any, origin: str) -> Any:
    """Convert a TOML/env/flag value to the field's type and check it, or say what is expected."""
    converted = _convert(f, value, origin)
    _check(f, converted, origin)
    return converted


def _convert(f: dataclasses.Field, value: Any, origin: str) -> Any:
    kind = f.type
    try:
        if kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind == "Path":
            return Path(os.path.expanduser(str(value)))
        if kind == "tuple[str, ...]":
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                return tuple(value)
            raise ValueError
        if not isinstance(value, str):
            raise ValueError
        return value.lower() if f.name == "log_level" else value
    except (TypeError, ValueError) as err:
        expected = {"tuple[str, ...]": "a list of strings"}.get(kind, f"a {kind}")
        raise ConfigError(f"{f.name} = {value!r} in {origin}: expected {expected}") from err


def load_settings(
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings from the layers. ``flags`` values of None mean "not given"."""
    env = os.environ if env is None else env
    by_name = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}

    explicit = config_file is not None
    path = Path(config_file) if explicit else default_config_file()
    if explicit or path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise ConfigError(f"config file {path} does not exist") from err
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(f"config file {path} cannot be read: {err}") from err
        for key, value in data.items():
            if key not in by_name:
                raise ConfigError(
                    f"unknown setting {key!r} in {path}; known settings: {', '.join(by_name)}"
                )
            values[key] = _coerce(by_name[key], value, str(path))

    for name, f in by_name.items():
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = _coerce(f, raw, f"environment variable {ENV_PREFIX}{name.upper()}")

    for name, value in (flags or {}).items():
        if value is not None:
            values[name] = _coerce(by_name[name], value, f"--{name.replace('_', '-')}")
    return Settings(**values)
