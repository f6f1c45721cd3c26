"""The job pipeline: a generate job from its request to its one ending, stage by stage.

generate (the engine, in the worker) → keep the result (for /continuo/play) → play it on MIDI →
write the MIDI files → send the notes → draw previews → render stems, or hand off (Ableton) → done.
A stage that cannot do its part but leaves the result usable answers /continuo/warning and the job
goes on; one that fails ends the job with /continuo/error. Completions are counted here, only here.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.clips import ClipStore
from bridge.errors import ContinuoError, InternalError, InvalidRequest
from bridge.jobs.engine import Job, JobEngine
from bridge.jobs.outputs import notes_messages, result_stem, save_previews, save_results
from bridge.jobs.store import ResultStore
from bridge.jobs.supervisor import Once
from bridge.midi.files import build_midi, write_midi
from bridge.midi.service import MidiService
from bridge.osc.peer import Peer, send_error
from bridge.presets import load_preset, preset_programs
from bridge.render.service import RenderJob, RenderService
from bridge.render.specs import RenderPreset
from bridge.requests import JobSpec
from bridge.settings import Settings
from models.types import Request, Result

if TYPE_CHECKING:
    from bridge.render.stems import RenderedSong
    from models.checks import Serves

log = logging.getLogger(__name__)


class JobCounts:
    """Generate jobs accepted, done and failed since the daemon started."""

    def __init__(self) -> None:
        self._counts = {"accepted": 0, "done": 0, "failed": 0}
        self._lock = threading.Lock()

    def add(self, what: str) -> None:
        with self._lock:
            self._counts[what] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class Ending:
    """How one accepted job ends: exactly one /continuo/done or /continuo/error, counted once."""

    def __init__(self, peer: Peer, job_id: str, counts: JobCounts):
        self.peer, self.job_id = peer, job_id
        self._counts = counts
        self._once = Once()

    def warn(self, text: str) -> None:
        """A stage could not do its part; the job goes on."""
        self.peer.send("/continuo/warning", self.job_id, text)

    def done(self, paths: list[Path]) -> None:
        if self._once.claim():  # counted first: a client that sees the reply and asks for status sees it
            self._counts.add("done")
            self.peer.send("/continuo/done", self.job_id, *(str(p) for p in paths))

    def fail(self, error: ContinuoError) -> None:
        if self._once.claim():
            self._counts.add("failed")
            send_error(self.peer, self.job_id, error)


# takes over after the notes are sent and ends the job through the Ending (Ableton: parts written into Live first)
HandOff = Callable[[Ending, list[Result], list[Path]], None]


@dataclass
class _Run:
    """One job on its way through the stages."""

    spec: JobSpec
    stem: str
    ending: Ending
    hand_off: HandOff | None
    programs: dict[str, int] = field(default_factory=dict)  # part → General MIDI program (the preset's)
    results: list[Result] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)


class ModelCheck:
    """The served model's own request checks, run before a job is accepted (models/checks.py); what the
    model serves is read from its files once, not from the model, which the worker loads."""

    def __init__(self, model: str):
        self.model = model
        self._serves: Serves | None = None
        self._read = False
        self._lock = threading.Lock()

    def prepare(self) -> None:
        with self._lock:
            if not self._read:
                from models.checks import serves

                self._serves, self._read = serves(self.model), True

    def __call__(self, request: Request) -> None:
        """Raise InvalidRequest, naming the OSC key, for a request the model cannot serve."""
        self.prepare()
        if self._serves is not None:
            try:
                self._serves.check(request)
            except ValueError as err:
                raise InvalidRequest(str(err)) from None


class Pipeline:
    """Starts generate jobs and takes each result through the stages; starts renders."""

    def __init__(self, settings: Settings, engine: JobEngine, clips: ClipStore, results: ResultStore,
                 midi: MidiService, renders: RenderService, check: Callable[[Request], None] | None = None):
        """``check`` refuses a request before it is accepted (``ModelCheck``; none for a test model)."""
        self.settings = settings
        self.engine, self.clips, self.results, self.midi, self.renders = engine, clips, results, midi, renders
        self.check = check or (lambda request: None)
        self.counts = JobCounts()

    def submit(self, peer: Peer, job_id: str, spec: JobSpec, hand_off: HandOff | None = None) -> None:
        """Queue a generate job whose replies go to ``peer``, or raise (before /continuo/accepted)."""
        request = spec.build(self.clips.get)
        self.check(request)
        try:
            programs = preset_programs(spec.preset) if spec.preset else {}
        except ContinuoError as err:
            raise InvalidRequest(str(err)) from None
        run = _Run(spec, result_stem(job_id, spec.output), Ending(peer, job_id, self.counts), hand_off, programs)
        if spec.play != "no":
            self.midi.check_playable()

        def on_accepted() -> None:
            self.counts.add("accepted")
            peer.send("/continuo/accepted", job_id)

        job = Job(job_id, request,
                  on_result=lambda job, results: self._stages(run, results),
                  on_error=lambda job, error: run.ending.fail(error),
                  on_progress=lambda job, fraction: peer.send("/continuo/progress", job.id, round(fraction, 3)),
                  on_notice=lambda job, text: run.ending.warn(text))
        self.engine.submit(job, on_accepted=on_accepted)

    def cancel(self, peer: Peer, job_id: str) -> None:
        """Cancel a queued or running job; a job playing on MIDI stops (/continuo/stopped)."""
        playing = self.midi.player.status()[0] == job_id
        if playing:
            self.midi.stop_playback(f"job {job_id} cancelled")
            peer.send("/continuo/stopped", job_id)
        try:
            self.engine.cancel(job_id)
        except InvalidRequest:
            if not playing:
                raise

    def render(self, peer: Peer, job_id: str, source: Path | Result, preset: RenderPreset, prefix: str) -> None:
        """Queue a render of a MIDI file or of a kept result: /continuo/accepted, then /continuo/rendered,
        or an error."""
        folder = Path(tempfile.mkdtemp(prefix="continuo-render-")) if isinstance(source, Result) else None

        def cleanup() -> None:
            if folder is not None:  # the result, written out for this render only
                shutil.rmtree(folder, ignore_errors=True)

        def on_done(job: RenderJob, songs: list[RenderedSong]) -> None:
            for song in songs:
                peer.send("/continuo/rendered", *rendered_args(job.id, song))

        def on_error(job: RenderJob, error: ContinuoError) -> None:
            send_error(peer, job.id, error)

        try:
            if isinstance(source, Result):
                source = write_midi(folder / "result.mid", build_midi(  # type: ignore[operator]
                    source.parts, source.tempo, source.meter, source.chords, title=job_id,
                    programs=self.results.programs(job_id)))
            job = RenderJob(job_id, [source], preset, on_done, on_error, [prefix], cleanup)
            self.renders.submit(job, on_accepted=lambda: peer.send("/continuo/accepted", job_id))
        except BaseException:
            cleanup()
            raise

    # -- the stages, on the job supervisor's thread ------------------------------------------------

    def _stages(self, run: _Run, results: list[Result]) -> None:
        run.results = results
        try:
            for stage in (self._keep, self._play, self._write, self._send_notes, self._preview, self._finish):
                stage(run)
        except ContinuoError as err:
            run.ending.fail(err)
        except Exception as err:  # a bug in a stage: the job still ends, once
            log.exception("job %s: the %s stage failed", run.ending.job_id, stage.__name__.strip("_"))
            run.ending.fail(InternalError(f"internal error ({type(err).__name__}); see the continuo log"))

    def _keep(self, run: _Run) -> None:
        self.results.put(run.ending.job_id, run.results, run.programs)

    def _play(self, run: _Run) -> None:
        # before the files: the sooner it is scheduled, the sooner the next bar line it can catch
        if run.spec.play == "no":
            return
        try:
            self.midi.play(run.ending.job_id, run.results[0], loop=run.spec.play == "loop", programs=run.programs,
                           warn=run.ending.warn)
        except ContinuoError as err:  # the result is still good: written, sent and done
            log.warning("job %s cannot play: %s", run.ending.job_id, err)
            run.ending.warn(f"cannot play it on MIDI: {err}")

    def _write(self, run: _Run) -> None:
        run.paths = save_results(run.results, run.stem, self.settings.output_dir, title=run.ending.job_id,
                                 programs=run.programs, overwrite=run.spec.overwrite)

    def _send_notes(self, run: _Run) -> None:
        ending = run.ending
        for chunk in notes_messages(ending.job_id, run.results, self.settings.reply_max_bytes):
            ending.peer.send("/continuo/notes", *chunk)
        for variation, result in enumerate(run.results, start=1):  # harmonize: its chords as text
            if "chords" in result.info:
                ending.peer.send("/continuo/chords", ending.job_id, variation, result.info["chords"])

    def _preview(self, run: _Run) -> None:
        if run.spec.preview:
            pictures = save_previews(run.results, run.paths, run.ending.job_id)
            run.ending.peer.send("/continuo/preview", run.ending.job_id, *(str(p) for p in pictures))

    def _finish(self, run: _Run) -> None:
        if run.hand_off is not None:
            run.hand_off(run.ending, run.results, run.paths)
        elif run.spec.render:
            self._render_after(run)
        else:
            run.ending.done(run.paths)

    def _render_after(self, run: _Run) -> None:
        """``render true``: stems of every variation with the request's preset, then done."""
        ending, paths = run.ending, run.paths

        def failed(error: ContinuoError) -> None:
            ending.fail(type(error)(f"{error} (the MIDI result is written: {paths[0]})"))

        def on_done(job: RenderJob, songs: list[RenderedSong]) -> None:
            for song in songs:
                ending.peer.send("/continuo/rendered", *rendered_args(job.id, song))
            ending.done(paths)

        try:
            preset = load_preset(run.spec.preset, allow_path=False) if run.spec.preset else \
                load_preset(self.settings.render_preset)
            job = RenderJob(ending.job_id, paths, preset.render.replace(overwrite=run.spec.overwrite), on_done,
                            lambda job, error: failed(error), [p.stem for p in paths])
            self.renders.submit(job)
        except ContinuoError as err:
            failed(err)


def rendered_args(job_id: str, song: RenderedSong) -> list[object]:
    """The arguments of /continuo/rendered: the job, the mix, then each stem."""
    return [job_id, str(song.mix), *(str(p) for p in song.stems.values())]
