"""The reader's errors and the record of what it left out.

The classes are part of fastvid's one error hierarchy (:mod:`fastvid.errors`):
:class:`VideoDecodeError` is a :class:`~fastvid.errors.VideoError` (``path``, ``reason``,
``kind``); :class:`WorkerDiedError` and :class:`WorkerTaskError` are
:class:`~fastvid.errors.FastvidError` s. :class:`SkippedClip` records a left-out clip or video
with the same ``kind``.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass

from fastvid.errors import FastvidError, VideoError, VideoErrorKind, check_kind

__all__ = ["SkippedClip", "VideoDecodeError", "WorkerDiedError", "WorkerTaskError"]


class VideoDecodeError(VideoError):
    """A video or clip the loader could not use (``on_error="raise"``).

    Attributes:
        path: The file.
        reason: Why, in words.
        kind: The kind of problem (:data:`fastvid.errors.VideoErrorKind`).
    """

    def message(self) -> str:
        return (
            f"cannot decode video {self.path}: {self.reason}. Remove or re-encode the file, or "
            "pass on_error='skip' to leave it out and carry on"
        )


class WorkerDiedError(FastvidError, RuntimeError):
    """A worker process died mid-epoch; ``pids`` and ``exit_codes`` say which and how."""

    def __init__(self, dead: Sequence[tuple[int, int]], epoch: int | None = None) -> None:
        # when one worker dies others may be terminated: name the first cause first
        dead = sorted(dead, key=lambda item: item[1] == -signal.SIGTERM)
        how = "; ".join(
            f"pid {pid} {_signal_name(-code) if code < 0 else f'exit code {code}'}"
            for pid, code in dead
        )
        when = f" for epoch {epoch}" if epoch is not None else ""
        super().__init__(
            f"a fastvid worker process died ({how}) while preparing clips{when}; this epoch "
            "cannot go on. A worker killed by SIGKILL is usually the out-of-memory killer "
            "(check `dmesg`): lower num_workers or batch_size. Iterating the loader again starts "
            "new worker processes"
        )
        self.dead = list(dead)
        self.pids = [p for p, _ in dead]
        self.exit_codes = [c for _, c in dead]
        self.epoch = epoch

    def __reduce__(self) -> tuple[type[WorkerDiedError], tuple[list[tuple[int, int]], int | None]]:
        return type(self), (self.dead, self.epoch)


class WorkerTaskError(FastvidError, RuntimeError):
    """A worker raised an error that is not about the video (a bug, not bad data).

    Decoder errors (FFmpeg's, a file that cannot be read) leave a clip out with its reason;
    anything else stops the epoch with this error, so that a programming error is never
    recorded as a corrupt file. ``path`` names the video the worker was preparing and
    ``worker_traceback`` is the worker's traceback.
    """

    def __init__(self, path: str, worker_traceback: str) -> None:
        super().__init__(
            f"a fastvid worker failed while preparing clips of {path} with an error that is not "
            "a decoding error (a bug in fastvid or in a custom sampler/transform, not bad "
            f"data); the worker's traceback:\n{worker_traceback}"
        )
        self.path = path
        self.worker_traceback = worker_traceback

    def __reduce__(self) -> tuple[type[WorkerTaskError], tuple[str, str]]:
        return type(self), (self.path, self.worker_traceback)


def _signal_name(number: int) -> str:
    try:
        return f"killed by {signal.Signals(number).name}"
    except ValueError:
        return f"killed by signal {number}"


@dataclass(frozen=True)
class SkippedClip:
    """A clip or video left out, with the reason (see ``ClipLoader.skipped``).

    Attributes:
        path: The file.
        reason: Why, in words.
        epoch: The epoch the clip was skipped in; ``None``: the video was left out when the
            index was built (it is in no epoch).
        clip_index: The clip's index in its video (``None`` for a video left out).
        kind: The kind of problem (:data:`fastvid.errors.VideoErrorKind`), set where the
            problem was found. Default: ``"other"``.
    """

    path: str
    reason: str
    epoch: int | None = None
    clip_index: int | None = None
    kind: VideoErrorKind = "other"

    def __post_init__(self) -> None:
        check_kind(self.kind)
