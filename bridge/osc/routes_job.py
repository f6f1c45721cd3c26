"""Job addresses: generate and cancel; the job pipeline does the rest (bridge/jobs/pipeline.py)."""

from __future__ import annotations

from bridge.jobs.pipeline import Pipeline
from bridge.keys import KEYS
from bridge.osc.args import name_arg
from bridge.osc.peer import Peer
from bridge.osc.router import Address, Handler
from bridge.requests import parse_pairs

GENERATE_USAGE = "<job name> key value key value ... (or <job name> '{JSON object}')"


class JobHandler(Handler):
    """Parses generate and cancel requests and hands them to the pipeline."""

    ADDRESSES = (
        Address(
            "/continuo/generate", "generate", f"{GENERATE_USAGE}; keys: {', '.join(KEYS)}",
            "/continuo/accepted <job>, /continuo/progress <job> <fraction>..., "
            "/continuo/warning <job> <text> (e.g. a GPU fallback, or play asked for and MIDI cannot play it), "
            "/continuo/preview <job> <png path>... (with preview true), "
            "/continuo/notes <job> <variation> <part> <chunk> <chunks> [notes...]..., "
            "/continuo/chords <job> <variation> <chords text> (harmonize: the chords chosen, bars separated by |, "
            "the grammar of the chords key; sent back as chords it gives the same harmony), "
            "/continuo/done <job> <midi path> [one path per variation] (a name a result already has gets a "
            "number: song-2.mid, its preview and stems alike, unless overwrite true); with render true, first "
            "/continuo/rendered <job> <mix path> <stem paths...> per variation",
            "bad_request (a key or value, or what the model cannot serve: a part or style it does not know, a bad "
            "key, no chords or clip for the task; the message names the key), unknown_clip, duplicate_job, "
            "queue_full, shutdown (before accepted); bad_request only the clip's notes show (infill bars past its "
            "end), cancelled, timeout, worker_crashed, model_error, write_failed (after accepted); with render "
            "true also bad_preset, soundfont, plugin_load, render_failed",
            job_arg=True,
        ),
        Address("/continuo/cancel", "cancel", "<job name>",
                "the job ends with /continuo/error <job> cancelled ...; a job playing on MIDI stops "
                "(note-offs, All Notes Off) and answers /continuo/stopped <job>",
                "bad_request: no such job queued, running or playing", job_arg=True),
    )

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline

    def generate(self, peer: Peer, args: list) -> None:
        job_id = name_arg(args, 0, "job name", GENERATE_USAGE)
        self.pipeline.submit(peer, job_id, parse_pairs(args[1:]))

    def cancel(self, peer: Peer, args: list) -> None:
        self.pipeline.cancel(peer, name_arg(args, 0, "job name", "<job name>"))
