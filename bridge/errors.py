"""The exception hierarchy; each error carries the short code sent on /continuo/error."""

from __future__ import annotations


class ContinuoError(Exception):
    """Base of every error continuo reports to a user."""

    code = "error"


class InvalidRequest(ContinuoError, ValueError):
    """A request had a wrong address, argument, key or value."""

    code = "bad_request"


class UnknownAddress(InvalidRequest):
    code = "unknown_address"


class UnknownClip(InvalidRequest, KeyError):
    code = "unknown_clip"

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class MalformedPacket(InvalidRequest):
    """Bytes that are not a valid OSC packet."""

    code = "malformed_packet"


class QueueFull(ContinuoError, RuntimeError):
    code = "queue_full"


class DuplicateJob(InvalidRequest):
    code = "duplicate_job"


class JobCancelled(ContinuoError, RuntimeError):
    code = "cancelled"


class JobTimeout(ContinuoError, TimeoutError):
    code = "timeout"


class ShuttingDown(ContinuoError, RuntimeError):
    code = "shutdown"


class WorkerCrashed(ContinuoError, RuntimeError):
    code = "worker_crashed"


class ModelError(ContinuoError, RuntimeError):
    code = "model_error"


class OutputError(ContinuoError, OSError):
    """The result could not be written to the output folder."""

    code = "write_failed"


class ConfigError(ContinuoError, ValueError):
    code = "config"


class PortError(ContinuoError, OSError):
    code = "port"


class RateLimited(ContinuoError, RuntimeError):
    code = "rate_limited"


class PresetError(ConfigError):
    """A render preset that cannot be used: unknown key, effect or parameter, bad value."""

    code = "bad_preset"


class PluginLoadError(ContinuoError, ImportError):
    """An audio plugin (VST3, Audio Unit) that is missing or fails to load."""

    code = "plugin_load"


class SoundfontError(ContinuoError, FileNotFoundError):
    """No usable SoundFont, or no synthesizer library to play one."""

    code = "soundfont"


class RenderError(ContinuoError, RuntimeError):
    """Rendering audio failed (an instrument crashed, hung, or produced no audio)."""

    code = "render_failed"


class AbletonError(ContinuoError, ConnectionError):
    """Live (through AbletonOSC) refused a request or holds something else than asked for."""

    code = "ableton"


class AbletonTimeout(AbletonError, TimeoutError):
    """Live did not answer in time: AbletonOSC is missing, Live is closed, or the ports differ."""

    code = "ableton_timeout"


class InternalError(ContinuoError, RuntimeError):
    """A bug: an unexpected exception, logged with its traceback."""

    code = "internal"
