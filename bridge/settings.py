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
MIDI_BACKENDS = ("auto", "jack", "alsa", "coremidi", "winmm", "none")


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
    soundfont: str = _setting("", "SoundFont (.sf2/.sf3) for rendering stems (empty: search the usual folders)")
    render_preset: str = _setting("default", "render preset: a name in presets/ or a TOML file (see docs/render.md)")
    render_jobs: int = _setting(0, "processes rendering parts in parallel (0: one per CPU core)", min=0, max=256)
    render_timeout_seconds: float = _setting(
        300.0, "a render running longer is stopped (its instruments are killed)", min=1.0, max=86400.0
    )
    kept_results: int = _setting(32, "finished jobs kept in memory for /continuo/play", min=1, max=10_000)
    # MIDI (docs/midi.md)
    midi_backend: str = _setting(
        "auto", "MIDI system: auto (JACK when a server runs, else ALSA; CoreMIDI; Windows MM), "
        "jack, alsa, coremidi, winmm, or none (OSC only)", choices=MIDI_BACKENDS
    )
    midi_virtual: str = _setting(
        "auto", "create virtual ports (yes), open existing ports by name (no: Windows, loopMIDI), "
        "or auto (no on Windows, yes elsewhere)", choices=("auto", "yes", "no")
    )
    midi_client_name: str = _setting("continuo", "MIDI client name other programs see")
    midi_in_port: str = _setting("continuo in", "input port name: clips, clock and the trigger come in here")
    midi_out_port: str = _setting("continuo out", "output port name: every part, one channel per part")
    midi_port_per_part: str = _setting(
        "no", "yes: also one output port per part, named '<midi_out_port> <part>'", choices=("no", "yes")
    )
    midi_part_channels: tuple[str, ...] = _setting(
        (), "part=channel (1-16) overrides for playback, e.g. bass=2 (default: melody=1 counter=2 "
        "keys=3 bass=4 pad=5 arp=6 drums=10)"
    )
    midi_roles: tuple[str, ...] = _setting(
        ("1=melody", "2=chords", "3=bass", "4=source"),
        "channel=role for capture; roles: melody, chords, bass, source (other channels are ignored)",
    )
    midi_control_channel: int = _setting(16, "channel (1-16) of the trigger, stop and cancel; never captured",
                                         min=1, max=16)
    midi_trigger: str = _setting("note:36", "what starts a job from the capture: note:N, cc:N or none")
    midi_stop: str = _setting("cc:119", "what stops playback, as /continuo/stop: note:N, cc:N (value 64 or more) or none")
    midi_cancel: str = _setting("cc:118", "what cancels the running job, as /continuo/cancel: note:N, cc:N or none")
    midi_capture_bars: int = _setting(4, "bars kept by clock-synced capture and used by the trigger", min=1, max=64)
    midi_sync: str = _setting(
        "auto", "playback timing: clock (follow MIDI clock), free (midi_tempo), auto (clock when one runs)",
        choices=("auto", "clock", "free"),
    )
    midi_playback: str = _setting("loop", "play results once or loop them", choices=("loop", "once"))
    midi_tempo: float = _setting(120.0, "tempo without MIDI clock: free capture and triggered jobs", min=20.0, max=400.0)
    midi_max_input_per_second: int = _setting(
        5000, "incoming MIDI messages per second; more are dropped and logged", min=10, max=1_000_000
    )
    # Ableton Live through AbletonOSC (docs/daw/ableton.md)
    ableton_host: str = _setting("127.0.0.1", "address of the computer running Live with AbletonOSC")
    ableton_port: int = _setting(11000, "UDP port AbletonOSC listens on", min=1, max=65535)
    ableton_reply_port: int = _setting(
        11001, "UDP port AbletonOSC answers on (continuo listens there once an /continuo/ableton request comes)",
        min=0, max=65535,
    )
    ableton_timeout_seconds: float = _setting(
        3.0, "how long to wait for each answer from Live", min=0.05, max=120.0
    )

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
