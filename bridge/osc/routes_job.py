"""Job addresses: generate and cancel; replies accepted, progress, notes, done or error."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.errors import ContinuoError
from bridge.jobs.engine import Job
from bridge.jobs.results import notes_messages, result_stem, save_results
from bridge.osc.args import name_arg
from bridge.osc.router import Route, send_error
from bridge.osc.server import Peer
from bridge.requests import KEYS, parse_pairs
from models.api import Result

if TYPE_CHECKING:
    from bridge.app import App

GENERATE_USAGE = "<job name> key value key value ... (or <job name> '{JSON object}')"


def routes(app: App) -> list[Route]:
    settings = app.settings

    def generate(peer: Peer, args: list) -> None:
        job_id = name_arg(args, 0, "job name", GENERATE_USAGE)
        spec = parse_pairs(args[1:])
        request = spec.build(app.clips.get)
        stem = result_stem(job_id, spec.output)

        def on_result(job: Job, results: list[Result]) -> None:
            paths = save_results(results, stem, settings.output_dir, title=job.id)
            for chunk in notes_messages(job.id, results, settings.reply_max_bytes):
                peer.send("/continuo/notes", *chunk)
            peer.send("/continuo/done", job.id, *(str(p) for p in paths))
            app.count("done")

        def on_error(job: Job, error: ContinuoError) -> None:
            send_error(peer, job.id, error)
            app.count("failed")

        def on_progress(job: Job, fraction: float) -> None:
            peer.send("/continuo/progress", job.id, round(fraction, 3))

        job = Job(job_id, request, on_result, on_error, on_progress)
        app.engine.submit(job, on_accepted=lambda: peer.send("/continuo/accepted", job_id))

    def cancel(peer: Peer, args: list) -> None:
        app.engine.cancel(name_arg(args, 0, "job name", "<job name>"))

    keys = ", ".join(KEYS)
    return [
        Route(
            "/continuo/generate", generate, f"{GENERATE_USAGE}; keys: {keys}",
            "/continuo/accepted <job>, /continuo/progress <job> <fraction>..., "
            "/continuo/notes <job> <variation> <part> <chunk> <chunks> [notes...]..., "
            "/continuo/done <job> <midi path> [one path per variation]",
            "bad_request, unknown_clip, duplicate_job, queue_full, shutdown (before accepted); "
            "cancelled, timeout, worker_crashed, model_error, write_failed (after accepted)",
            job_arg=True,
        ),
        Route("/continuo/cancel", cancel, "<job name>",
              "the job ends with /continuo/error <job> cancelled ...",
              "bad_request: no such job queued or running", job_arg=True),
    ]
