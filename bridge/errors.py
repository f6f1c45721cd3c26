"""The exception hierarchy: each error's code (sent on /continuo/error) and meaning (its docstring, for docs/osc.md)."""

from __future__ import annotations


class ContinuoError(Exception):
    """Something else failed; the message says what and how to fix it."""

    code = "error"


class InvalidRequest(ContinuoError, ValueError):
    """An argument, key or value is wrong; the message names it and what is accepted."""

    code = "bad_request"


class UnknownAddress(InvalidRequest):
    """No such address; the message lists the addresses."""

    code = "unknown_address"


class UnknownClip(InvalidRequest, KeyError):
    """The job names a clip that was never uploaded."""

    code = "unknown_clip"

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class MalformedPacket(InvalidRequest):
    """The bytes are not valid OSC."""

    code = "malformed_packet"


class PacketTooLarge(MalformedPacket):
    """A request over `packet_max_bytes`; send long clips in parts with /continuo/clip/append."""

    code = "packet_too_large"


class QueueFull(ContinuoError, RuntimeError):
    """`queue_size` jobs are already waiting."""

    code = "queue_full"


class DuplicateJob(InvalidRequest):
    """A job of that name is already queued or running."""

    code = "duplicate_job"


class JobCancelled(ContinuoError, RuntimeError):
    """The job was cancelled with /continuo/cancel."""

    code = "cancelled"


class JobTimeout(ContinuoError, TimeoutError):
    """The job ran longer than `job_timeout_seconds`."""

    code = "timeout"


class ShuttingDown(ContinuoError, RuntimeError):
    """continuo stopped before the job ended."""

    code = "shutdown"


class WorkerCrashed(ContinuoError, RuntimeError):
    """The model process died during the job; it has been restarted."""

    code = "worker_crashed"


class ModelError(ContinuoError, RuntimeError):
    """The model failed or could not be loaded."""

    code = "model_error"


class OutputError(ContinuoError, OSError):
    """A result could not be written to the output folder (disk full, permissions)."""

    code = "write_failed"


class ConfigError(ContinuoError, ValueError):
    """A setting or configuration file is wrong; the message names it and what is accepted."""

    code = "config"


class PortError(ContinuoError, OSError):
    """A MIDI port cannot be found or opened, or was lost."""

    code = "port"


class PresetError(ConfigError):
    """A preset cannot be used: an unknown name, key, effect or parameter, or a bad value."""

    code = "bad_preset"


class PluginLoadError(ContinuoError, ImportError):
    """An audio plugin (VST3, Audio Unit) is missing or fails to load."""

    code = "plugin_load"


class SoundfontError(ContinuoError, FileNotFoundError):
    """No usable SoundFont, or no synthesizer library to play one."""

    code = "soundfont"


class RenderError(ContinuoError, RuntimeError):
    """Rendering audio failed: an instrument crashed, hung or produced no audio."""

    code = "render_failed"


class AbletonError(ContinuoError, ConnectionError):
    """Live refused, or holds something else than asked for (no clip there, a slot taken...)."""

    code = "ableton"


class AbletonTimeout(AbletonError, TimeoutError):
    """Live did not answer: is AbletonOSC installed and Live running? (docs/daw/ableton.md)"""

    code = "ableton_timeout"


class InternalError(ContinuoError, RuntimeError):
    """A bug in continuo: an unexpected exception, logged with its traceback; please report it."""

    code = "internal"
