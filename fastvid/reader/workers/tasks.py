"""What the loader asks its worker processes to do, and what they answer (picklable values).

A :class:`Task` is a group of clips of one video that one worker prepares in one forward pass:
it decodes the frames they need with PyAV (``route="pyav"``), or cuts the GOP ranges DALI will
decode (``route="cut"``), writing the output straight into a shared-memory segment. The answer,
a :class:`TaskResult`, says where each clip's bytes are; no pixels travel through the pipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np

from fastvid.errors import VideoErrorKind

__all__ = ["ClipJob", "ClipOutput", "Route", "Task", "TaskResult", "VideoWindow"]

Route = Literal["pyav", "cut"]


@dataclass(frozen=True)
class VideoWindow:
    """The part of a video's index a task needs (positions are relative to ``first``).

    Attributes:
        path: The file.
        size: Its size in bytes when indexed (``None``: not checked).
        mtime_ns: Its modification time when indexed (``None``: not checked).
        first: Position in the whole video of ``pts[0]``.
        pts: Presentation timestamps of frames ``first ..`` (int64).
        keyframes: Keyframe positions within the window (int64, relative to ``first``).
        height: Coded frame height.
        width: Coded frame width.
        order: Each window frame's place in the decoder's output order, when that is not
            ``pts`` order (AVI with B-frames; :func:`fastvid.reader.planning.frames.output_ranks`),
            for the frame numbers of GOP cuts. ``None``: ``pts`` order.
    """

    path: str
    size: int | None
    mtime_ns: int | None
    first: int
    pts: np.ndarray
    keyframes: np.ndarray
    height: int
    width: int
    order: np.ndarray | None = None


@dataclass(frozen=True)
class ClipJob:
    """One clip of a task.

    Attributes:
        slot: The clip's position in the epoch plan.
        frames: Sorted unique frame positions it needs (relative to the window).
        size: ``(height, width)`` to decode to (PyAV route; ``None``: the coded size).
        audio: ``(start_sec, end_sec)`` of the clip when its audio is wanted (the worker
            decodes it with PyAV, :mod:`fastvid.reader.decoding.audio`); ``None``: no audio.
        audio_before: The windows PyTorchVideo decoded from the same open file before this
            clip (the earlier clips of this visit of the video): FFmpeg's AAC decoder keeps
            state across seeks, so the worker replays them when its file is not at that point.
    """

    slot: int
    frames: np.ndarray
    size: tuple[int, int] | None = None
    audio: tuple[Fraction | float, Fraction | float] | None = None
    audio_before: tuple[tuple[Fraction | float, Fraction | float], ...] = ()


@dataclass(frozen=True)
class Task:
    """Clips of one video for one worker."""

    task_id: int
    route: Route
    video: VideoWindow
    clips: tuple[ClipJob, ...]


@dataclass(frozen=True)
class ClipOutput:
    """Where one clip's output lies in the task's segment, or why there is none.

    Attributes:
        slot: The clip's position in the epoch plan.
        offset: Byte offset in the segment.
        shape: ``(F, H, W, 3)`` frames (PyAV route) or ``(nbytes,)`` (a cut).
        frames: Cut route: each needed frame's position in the cut (int32).
        error: Why the clip could not be prepared (``""``: it is good).
        audio_offset: Byte offset in the segment of the clip's float32 audio samples.
        audio_samples: How many samples (``-1``: no audio, or none asked for).
        sample_rate: The audio's samples per second (0 without audio).
        kind: The kind of problem when there is an ``error``
            (:data:`fastvid.errors.VideoErrorKind`), set where it was found.
    """

    slot: int
    offset: int = 0
    shape: tuple[int, ...] = ()
    frames: np.ndarray | None = None
    error: str = ""
    audio_offset: int = 0
    audio_samples: int = -1
    sample_rate: int = 0
    kind: VideoErrorKind = "other"


@dataclass(frozen=True)
class TaskResult:
    """A worker's answer to a :class:`Task`.

    Attributes:
        task_id: The task.
        segment: The shared-memory segment holding the outputs (``None`` if none were made).
        clips: One entry per clip, in the task's order.
        decoded: Frames decoded (PyAV route) or that DALI will decode at most (cut route).
        seconds: Worker time spent on the task.
        decode_seconds: Of that, time spent decoding and converting frames (or cutting).
        final: The task's last answer. A worker answers a clip as soon as it is ready
            (``final=False``, one clip) and the rest at the end.
        crash: The worker's traceback when the task raised an error that is not a decoding
            error (the loader raises :class:`~fastvid.reader.errors.WorkerTaskError`); ``""``
            otherwise.
    """

    task_id: int
    segment: str | None
    clips: tuple[ClipOutput, ...]
    decoded: int = 0
    seconds: float = 0.0
    decode_seconds: float = 0.0
    final: bool = True
    crash: str = ""
