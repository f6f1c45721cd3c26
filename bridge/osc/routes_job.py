"""Job addresses: generate and cancel; replies accepted, progress, notes, done or error."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.errors import ContinuoError, InvalidRequest
from bridge.jobs.engine import Job
from bridge.jobs.results import notes_messages, result_stem, save_previews, save_results
from bridge.osc.args import name_arg
from bridge.osc.router import Route, send_error
from bridge.osc.server import Peer
from bridge.requests import KEYS, JobSpec, parse_pairs
from models.api import Result

if TYPE_CHECKING:
    from bridge.app import App

log = logging.getLogger(__name__)

GENERATE_USAGE = "<job name> key value key value ... (or <job name> '{JSON object}')"


def start_job(app: App, peer: Peer, job_id: str, spec: JobSpec,
              deliver: Callable[[Job, list[Result], list[Path]], None] | None = None) -> None:
    """Submit a generate job whose replies go to ``peer``; its results are kept for /continuo/play.

    ``deliver``, when given, takes over after the notes are sent and must end the job with
    /continuo/done or /continuo/error itself (Ableton: the parts are written into Live first).
    """
    settings = app.settings
    request = spec.build(app.clips.get)
    stem = result_stem(job_id, spec.output)

    if spec.play != "no":
        app.midi.check_playable()

    def on_result(job: Job, results: list[Result]) -> None:
        app.results.put(job.id, results)
        if spec.play != "no":
            try:  # first: the sooner it is scheduled, the sooner the next bar line it can catch
                app.midi.play(job.id, results[0], loop=spec.play == "loop")
            except ContinuoError as err:  # the job still ends with done: one ending per job
                log.warning("job %s cannot play: %s", job.id, err)
        paths = save_results(results, stem, settings.output_dir, title=job.id)
        for chunk in notes_messages(job.id, results, settings.reply_max_bytes):
            peer.send("/continuo/notes", *chunk)
        if spec.preview:
            peer.send("/continuo/preview", job.id, *(str(p) for p in save_previews(results, paths, job.id)))
        if deliver is not None:
            deliver(job, results, paths)
            return
        if spec.render:  # stems first; /continuo/done follows them (bridge/osc/routes_render.py)
            from bridge.osc.routes_render import render_after_generate

            render_after_generate(app, peer, job.id, paths, spec.preset)
            return
        peer.send("/continuo/done", job.id, *(str(p) for p in paths))
        app.count("done")

    def on_error(job: Job, error: ContinuoError) -> None:
        send_error(peer, job.id, error)
        app.count("failed")

    def on_progress(job: Job, fraction: float) -> None:
        peer.send("/continuo/progress", job.id, round(fraction, 3))

    def on_notice(job: Job, text: str) -> None:
        peer.send("/continuo/warning", job.id, text)

    def on_accepted() -> None:
        app.count("accepted")
        peer.send("/continuo/accepted", job_id)

    app.engine.submit(Job(job_id, request, on_result, on_error, on_progress, on_notice), on_accepted=on_accepted)


def routes(app: App) -> list[Route]:
    def generate(peer: Peer, args: list) -> None:
        job_id = name_arg(args, 0, "job name", GENERATE_USAGE)
        start_job(app, peer, job_id, parse_pairs(args[1:]))

    def cancel(peer: Peer, args: list) -> None:
        job_id = name_arg(args, 0, "job name", "<job name>")
        playing = app.midi.player.status()[0] == job_id
        if playing:
            app.midi.stop_playback(f"job {job_id} cancelled")
            peer.send("/continuo/stopped", job_id)
        try:
            app.engine.cancel(job_id)
        except InvalidRequest:
            if not playing:
                raise

    keys = ", ".join(KEYS)
    return [
        Route(
            "/continuo/generate", generate, f"{GENERATE_USAGE}; keys: {keys}",
            "/continuo/accepted <job>, /continuo/progress <job> <fraction>..., "
            "/continuo/warning <job> <text> (e.g. a GPU fallback), "
            "/continuo/preview <job> <png path>... (with preview true), "
            "/continuo/notes <job> <variation> <part> <chunk> <chunks> [notes...]..., "
            "/continuo/done <job> <midi path> [one path per variation]; with render true, first "
            "/continuo/rendered <job> <mix path> <stem paths...> per variation",
            "bad_request, unknown_clip, duplicate_job, queue_full, shutdown (before accepted); "
            "cancelled, timeout, worker_crashed, model_error, write_failed (after accepted); with render "
            "true also bad_preset, soundfont, plugin_load, render_failed",
            job_arg=True,
        ),
        Route("/continuo/cancel", cancel, "<job name>",
              "the job ends with /continuo/error <job> cancelled ...; a job playing on MIDI stops "
              "(note-offs, All Notes Off) and answers /continuo/stopped <job>",
              "bad_request: no such job queued, running or playing", job_arg=True),
    ]
