"""The worker process: runs :class:`~fastvid.reader.workers.tasks.Task` s, writes into shared
memory.

Started with ``spawn`` by :class:`~fastvid.reader.workers.pool.WorkerPool`; imports PyAV and NumPy
only (no torch, no DALI), so it starts in a fraction of a second. A decoding failure becomes
the clip's ``error`` and the loader decides what to do with it (skip or raise); any other
exception is a bug: the worker answers with its traceback and the loader raises
:class:`~fastvid.reader.errors.WorkerTaskError` instead of calling the file bad.
"""

from __future__ import annotations

import os
import signal
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import av
import numpy as np

from fastvid.data.storage import Storage, is_remote, redact
from fastvid.errors import VideoError, exception_kind
from fastvid.reader.decoding._pyav_stream import FrameDecodeError
from fastvid.reader.decoding.audio import AudioReader, TaskAudio
from fastvid.reader.decoding.gop import GopCutError, GopCutter
from fastvid.reader.decoding.pyav_source import PyAVFrameReader
from fastvid.reader.workers.shm import SegmentPool
from fastvid.reader.workers.tasks import ClipOutput, Task, TaskResult, VideoWindow

__all__ = ["DECODE_ERRORS", "TaskRunner", "changed_since_indexed", "worker_main"]

_ALIGN = 64

DECODE_ERRORS: tuple[type[BaseException], ...] = (
    av.FFmpegError,
    FrameDecodeError,
    GopCutError,
    OSError,
    EOFError,
)
"""What reading or decoding a bad, missing or changed file raises: such a clip is left out with
its reason. Everything else is a bug and stops the epoch (``WorkerTaskError``)."""


def worker_main(
    conn: Connection, worker_id: int, prefix: str, threads: int, storage: Storage | None = None
) -> None:
    """Serve tasks from ``conn`` until it sends ``None`` or closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the loader's to handle
    runner = TaskRunner(SegmentPool(prefix, worker_id), threads=threads, storage=storage)
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message is None:
                break
            kind, payload = message
            if kind == "free":
                runner.segments.release(payload)
            elif kind == "task":
                try:
                    answer = runner.run(payload, partial=conn.send)
                except Exception:  # not about the video: the loader raises WorkerTaskError
                    answer = TaskResult(payload.task_id, None, (), crash=traceback.format_exc())
                conn.send(answer)
    finally:
        runner.close()


class TaskRunner:
    """Runs tasks in this process (the worker's loop calls it; tests call it directly).

    Args:
        segments: Where outputs go.
        threads: FFmpeg decoder threads per file (0: FFmpeg chooses).
        storage: How URLs are read (fsspec options, block cache). Default: ``None``.
    """

    def __init__(
        self, segments: SegmentPool, *, threads: int = 1, storage: Storage | None = None
    ) -> None:
        self.segments = segments
        self.threads = threads
        self.storage = storage
        self._reader = PyAVFrameReader(storage=storage)
        self._cutter = GopCutter(storage=storage)
        self._audio = AudioReader(storage=storage)

    def run(self, task: Task, partial: Callable[[TaskResult], None] | None = None) -> TaskResult:
        """Prepare every clip of ``task``.

        A decoding error (:data:`DECODE_ERRORS`: FFmpeg's, a file that cannot be read) fails
        the clips it hits, with the reason; any other exception is a bug and propagates.

        Args:
            task: The task.
            partial: Called with a one-clip, non-final answer as soon as a clip is ready
                (PyAV route), so the loader can use it before the whole task is done.

        Returns:
            The final answer: the clips not already handed to ``partial``.
        """
        started = time.perf_counter()
        changed = changed_since_indexed(task.video, self.storage)
        if changed is not None:
            return _failed(task, changed, started)
        try:
            audio = self._decode_audio(task)
            if task.route == "pyav":
                return self._decode(task, started, partial, audio)
            return self._cut(task, started, audio)
        except DECODE_ERRORS as exc:  # a bad file must not end the worker: report it
            reason = redact(f"{type(exc).__name__}: {exc}")
            error = VideoError(task.video.path, reason, exception_kind(exc))
            return _failed(task, error, started)

    def _decode_audio(self, task: Task) -> TaskAudio:
        """The audio of the clips that ask for it (PyAV, beside whatever decodes the video)."""
        if all(job.audio is None for job in task.clips):
            return TaskAudio([None] * len(task.clips), 0.0)
        began = time.perf_counter()
        path = task.video.path
        try:
            clips = [
                None if job.audio is None else self._audio.clip(path, *job.audio, job.audio_before)
                for job in task.clips
            ]
        except DECODE_ERRORS:
            self._audio.forget(path)
            raise
        return TaskAudio(clips, time.perf_counter() - began)

    def _decode(
        self,
        task: Task,
        started: float,
        partial: Callable[[TaskResult], None] | None,
        audio: TaskAudio,
    ) -> TaskResult:
        video = task.video
        native = (video.height, video.width)
        shapes = [(len(job.frames), *(job.size or native), 3) for job in task.clips]
        offsets, total = _layout([*(int(np.prod(shape)) for shape in shapes), *audio.sizes()])
        name, buffer = self.segments.acquire(total)
        offsets, heard = offsets[: len(shapes)], audio.write(buffer, offsets[len(shapes) :])
        outs = [
            buffer[o : o + int(np.prod(s))].reshape(s) for o, s in zip(offsets, shapes, strict=True)
        ]
        sent: set[int] = set()

        def done(clip: int) -> None:
            if partial is not None:
                job = task.clips[clip]
                output = ClipOutput(job.slot, offsets[clip], shapes[clip], None, "", *heard[clip])
                partial(TaskResult(task.task_id, name, (output,), final=False))
                sent.add(clip)

        before = self._reader.decoded_frames(video.path, self.threads)
        decoding = time.perf_counter()
        errors = self._reader.decode_clips(
            video.path,
            [(job.frames, out) for job, out in zip(task.clips, outs, strict=True)],
            pts=video.pts,
            keyframes=video.keyframes,
            threads=self.threads,
            on_done=done,
        )
        decode_seconds = time.perf_counter() - decoding + audio.seconds
        decoded = max(0, self._reader.decoded_frames(video.path, self.threads) - before)
        clips = tuple(
            ClipOutput(job.slot, offset, shape, None, "", *heard[c])
            if error is None
            else ClipOutput(job.slot, offset, shape, None, error.reason, *heard[c], kind=error.kind)
            for c, (job, offset, shape, error) in enumerate(
                zip(task.clips, offsets, shapes, errors, strict=True)
            )
            if c not in sent or error
        )
        seconds = time.perf_counter() - started
        return TaskResult(task.task_id, name, clips, decoded, seconds, decode_seconds)

    def _cut(self, task: Task, started: float, audio: TaskAudio) -> TaskResult:
        video = task.video
        cuts: list[Any] = []
        cutting = time.perf_counter()
        for job in task.clips:
            try:
                cuts.append(
                    self._cutter.cut(
                        video.path,
                        job.frames,
                        pts=video.pts,
                        keyframes=video.keyframes,
                        order=video.order,
                    )
                )
            except DECODE_ERRORS as exc:
                self._cutter.forget(video.path)
                reason = redact(f"cannot cut its GOP range ({type(exc).__name__}: {exc})")
                cuts.append(VideoError(video.path, reason, exception_kind(exc)))
        decode_seconds = time.perf_counter() - cutting + audio.seconds
        sizes = [0 if isinstance(cut, VideoError) else len(cut.data) for cut in cuts]
        offsets, total = _layout([*sizes, *audio.sizes()])
        name, buffer = self.segments.acquire(max(total, 1))
        offsets, heard = offsets[: len(sizes)], audio.write(buffer, offsets[len(sizes) :])
        clips = []
        decoded = 0
        for job, cut, offset, sound in zip(task.clips, cuts, offsets, heard, strict=True):
            if isinstance(cut, VideoError):
                clips.append(ClipOutput(job.slot, error=cut.reason, kind=cut.kind))
                continue
            buffer[offset : offset + len(cut.data)] = np.frombuffer(cut.data, dtype=np.uint8)
            decoded += int(cut.frames.max()) + 1 if cut.frames.size else 0
            clips.append(ClipOutput(job.slot, offset, (len(cut.data),), cut.frames, "", *sound))
        seconds = time.perf_counter() - started
        return TaskResult(task.task_id, name, tuple(clips), decoded, seconds, decode_seconds)

    def close(self) -> None:
        """Close open files and delete this worker's segments."""
        self._reader.close()
        self._cutter.close()
        self._audio.close()
        self.segments.close()


def _layout(sizes: Any) -> tuple[list[int], int]:
    """Aligned offsets for consecutive blocks of ``sizes`` bytes, and the total."""
    offsets, total = [], 0
    for size in sizes:
        offsets.append(total)
        total += -(-int(size) // _ALIGN) * _ALIGN
    return offsets, total


def _failed(task: Task, error: VideoError, started: float) -> TaskResult:
    clips = tuple(ClipOutput(job.slot, error=error.reason, kind=error.kind) for job in task.clips)
    return TaskResult(task.task_id, None, clips, 0, time.perf_counter() - started)


def changed_since_indexed(video: VideoWindow, storage: Storage | None = None) -> VideoError | None:
    """Why ``video.path`` no longer matches its index entry (size, mtime or, for a remote
    object, version), or ``None``.

    The plan's frame positions come from the index; decoding a file that was replaced since
    would return other frames. The error's kind is ``"missing"``, ``"changed"`` or that of
    the operating system's error.
    """
    if video.size is None or video.mtime_ns is None:
        return None
    path = video.path
    try:
        if is_remote(path):
            info = (storage or Storage()).stat(path)
            size, version = info.size, info.version_key
        else:
            stat = os.stat(path)
            size, version = stat.st_size, stat.st_mtime_ns
    except FileNotFoundError:
        return VideoError(
            path,
            f"the file was deleted or moved after it was indexed: {redact(path)}",
            "missing",
        )
    except OSError as exc:
        return VideoError(path, redact(f"cannot read video {path}: {exc}"), exception_kind(exc))
    if (size, version) != (video.size, video.mtime_ns):
        how = f"size {video.size} -> {size} bytes" if size != video.size else "rewritten"
        reason = (
            f"the file changed since it was indexed ({how}); build the index again "
            f"(a new ClipLoader re-probes changed files)"
        )
        return VideoError(path, reason, "changed")
    return None
