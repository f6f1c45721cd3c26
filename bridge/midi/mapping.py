"""MIDI settings turned into checked maps: part → channel, channel → role, the trigger, port names."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from bridge.errors import ConfigError
from bridge.settings import Settings
from models.types import PARTS

ROLES = ("melody", "chords", "bass", "source")


@dataclass(frozen=True)
class Trigger:
    """A note or a controller on the control channel (the trigger, stop, cancel); kind "none" disables it."""

    kind: str  # "note", "cc" or "none"
    number: int = 0
    channel: int = 15  # 0-based

    def matches(self, message) -> bool:
        """True for a note-on (velocity > 0) or a CC with value ≥ 64 that is this trigger."""
        if self.kind == "none" or getattr(message, "channel", None) != self.channel:
            return False
        if self.kind == "note":
            return message.type == "note_on" and message.note == self.number and message.velocity > 0
        return message.type == "control_change" and message.control == self.number and message.value >= 64


@dataclass(frozen=True)
class MidiConfig:
    """Everything the MIDI side needs from Settings, validated once."""

    part_channels: dict[str, int]  # part → 0-based channel
    roles: dict[int, str]  # 0-based channel → role
    trigger: Trigger
    stop: Trigger  # stops playback
    cancel: Trigger  # cancels the running job
    control_channel: int  # 0-based
    virtual: bool
    client_name: str
    in_port: str
    out_port: str
    port_per_part: bool
    capture_bars: int
    sync: str
    loop: bool
    tempo: float
    max_input_per_second: int

    def part_port(self, part: str) -> str:
        """Output port name of ``part`` when ports per part are on."""
        return f"{self.out_port} {part}"


def _channel(text: str, setting: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= 16:
        raise ConfigError(f"{setting}: channel {text!r} must be a number from 1 to 16")
    return number - 1


def _pairs(entries: tuple[str, ...], setting: str, example: str) -> list[tuple[str, str]]:
    out = []
    for entry in entries:
        left, sep, right = entry.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise ConfigError(f"{setting}: {entry!r} is not of the form {example}")
        out.append((left.strip(), right.strip()))
    return out


def parse_part_channels(entries: tuple[str, ...]) -> dict[str, int]:
    channels = {part: channel for part, (channel, _) in PARTS.items()}
    for part, channel in _pairs(entries, "midi_part_channels", "bass=4"):
        if part not in PARTS:
            raise ConfigError(f"midi_part_channels: part {part!r} is not known; parts: {', '.join(PARTS)}")
        channels[part] = _channel(channel, "midi_part_channels")
    return channels


def parse_roles(entries: tuple[str, ...]) -> dict[int, str]:
    roles: dict[int, str] = {}
    for channel, role in _pairs(entries, "midi_roles", "1=melody"):
        if role not in ROLES:
            raise ConfigError(f"midi_roles: role {role!r} is not known; roles: {', '.join(ROLES)}")
        number = _channel(channel, "midi_roles")
        if number in roles:
            raise ConfigError(f"midi_roles: channel {channel} is given twice")
        roles[number] = role
    return roles


def parse_trigger(text: str, channel: int, setting: str = "midi_trigger") -> Trigger:
    kind, _, number = text.strip().lower().partition(":")
    if kind == "none" and not number:
        return Trigger("none", 0, channel)
    if kind in ("note", "cc") and number.isdigit() and 0 <= int(number) <= 127:
        return Trigger(kind, int(number), channel)
    raise ConfigError(f"{setting} {text!r}: write note:N or cc:N with N from 0 to 127, or none")


def parse_controls(settings: Settings, channel: int) -> tuple[Trigger, Trigger, Trigger]:
    """The trigger, stop and cancel controls of the control channel; no two may be the same message."""
    names = ("midi_trigger", "midi_stop", "midi_cancel")
    controls = tuple(parse_trigger(getattr(settings, name), channel, name) for name in names)
    for i, first in enumerate(controls):
        for j in range(i + 1, len(controls)):
            other = controls[j]
            if first.kind != "none" and (first.kind, first.number) == (other.kind, other.number):
                raise ConfigError(f"{names[j]} and {names[i]} are both {first.kind}:{first.number}; "
                                  "give each its own note or controller")
    return controls  # type: ignore[return-value]


def midi_config(settings: Settings, platform: str = sys.platform) -> MidiConfig:
    """Check the MIDI settings; a ConfigError says which one is wrong and what is accepted."""
    control = settings.midi_control_channel - 1
    roles = parse_roles(settings.midi_roles)
    if control in roles:
        raise ConfigError(
            f"midi_roles maps channel {control + 1} to {roles[control]!r}, but it is the control channel; "
            "change midi_control_channel or midi_roles"
        )
    if settings.midi_in_port == settings.midi_out_port and settings.midi_virtual == "no":
        raise ConfigError("midi_in_port and midi_out_port name the same port; give them different names")
    virtual = settings.midi_virtual == "yes" or (settings.midi_virtual == "auto" and not platform.startswith("win"))
    trigger, stop, cancel = parse_controls(settings, control)
    return MidiConfig(
        part_channels=parse_part_channels(settings.midi_part_channels),
        roles=roles,
        trigger=trigger,
        stop=stop,
        cancel=cancel,
        control_channel=control,
        virtual=virtual,
        client_name=settings.midi_client_name,
        in_port=settings.midi_in_port,
        out_port=settings.midi_out_port,
        port_per_part=settings.midi_port_per_part == "yes",
        capture_bars=settings.midi_capture_bars,
        sync=settings.midi_sync,
        loop=settings.midi_playback == "loop",
        tempo=settings.midi_tempo,
        max_input_per_second=settings.midi_max_input_per_second,
    )
