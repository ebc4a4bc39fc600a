"""The values an epoch run takes, keeps and reports.

:class:`RunConfig` (how a loader's epochs run) and :class:`VideoSource` (a video's index entry and
route) go into :class:`~fastvid.reader.loader.epoch_run.EpochRun`; :class:`EpochStats` comes out of
it; :class:`TaskState` and :class:`Slot` are its bookkeeping per task sent and per clip planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from fastvid.reader.planning.frames import ClipRequest
from fastvid.reader.transforms.augment import ChannelAffine, SpatialOp
from fastvid.reader.workers.tasks import ClipOutput, Route

__all__ = ["KIND", "EpochStats", "Kind", "RunConfig", "Slot", "TaskState", "VideoSource"]

Kind = Literal["encoded", "frames"]
KIND: dict[Route, Kind] = {"cut": "encoded", "pyav": "frames"}


@dataclass(frozen=True)
class RunConfig:
    """How an epoch runs (fixed for a loader).

    Attributes:
        batch_size: Clips per batch.
        seed: Seeds each clip's augmentation parameters (with epoch, video, clip, aug index).
        spatial_ops: The lowered spatial ops.
        rearrange: Graphs take an ``order`` input (a temporal subsample may repeat frames).
        prescale: PyAV decodes straight to the first ``ShortSideScale``'s size.
        torch_finish: PyAV route: the workers hand over full-size frames and the loader resizes,
            crops, flips, repeats and normalises them in torch
            (:mod:`fastvid.reader.transforms.finish`) instead of running DALI's graph.
        affine: The per-channel ``x * scale + offset`` (for ``torch_finish``). max_task_clips:
        Largest task (clips of one video for one worker). prefetch_batches: How many batches ahead
        of the one being assembled tasks are sent. max_inflight: Tasks a worker may hold (one
        running, the rest queued). decode_audio: The workers also decode each clip's audio
        (:mod:`fastvid.reader.decoding.audio`). channels_last: Batches in
        ``torch.channels_last_3d`` memory (the torch finish writes them so).
    """

    batch_size: int
    seed: int
    spatial_ops: tuple[SpatialOp, ...]
    rearrange: bool
    prescale: bool
    torch_finish: bool = False
    affine: ChannelAffine = field(default_factory=ChannelAffine)
    max_task_clips: int = 16
    prefetch_batches: int = 4
    max_inflight: int = 2
    decode_audio: bool = False
    channels_last: bool = False


@dataclass(frozen=True)
class VideoSource:
    """What the engine needs of a video: its index entry and its route."""

    path: str
    meta: Any  # VideoMeta-like: pts, keyframes, width, height, size, mtime_ns
    route: Route


@dataclass
class EpochStats:
    """What one epoch cost (for benchmarks and tests).

    Attributes:
        clips: Clips delivered.
        decoded_frames: Frames the workers decoded (PyAV) or DALI was asked to decode at most.
        worker_seconds: Time the workers spent on tasks.
        decode_seconds: Of that, time in the decoder (PyAV decode + RGB conversion, or cuts).
        parent_seconds: Time the loader's own process spent outside waiting for workers
            (augmentation parameters, dispatch, DALI, batch assembly).
        dali_seconds: Of that, time inside DALI (the resize/crop/flip/normalise ops, and the
            decoding on the DALI routes).
        wait_seconds: Time it waited for workers.
        tasks: Tasks sent.
        decoded_by_video: ``decoded_frames`` per video index.
    """

    clips: int = 0
    decoded_frames: int = 0
    worker_seconds: float = 0.0
    decode_seconds: float = 0.0
    parent_seconds: float = 0.0
    dali_seconds: float = 0.0
    wait_seconds: float = 0.0
    tasks: int = 0
    decoded_by_video: dict[int, int] = field(default_factory=dict)

    @property
    def overhead_per_clip(self) -> float:
        """Seconds per clip spent outside decoding and DALI's ops: scheduling, messages,
        shared-memory bookkeeping, batch assembly, in the loader and its workers together."""
        parent = self.parent_seconds - self.dali_seconds
        workers = self.worker_seconds - self.decode_seconds
        return (parent + workers) / max(self.clips, 1)


@dataclass
class TaskState:
    """One task sent to a worker: its worker, video, clips left to use and segment."""

    worker: int
    video_index: int
    left: int  # clips not consumed yet
    segment: str | None = None
    final: bool = False  # the worker is done with the task (and its segment)


@dataclass
class Slot:
    """One planned clip: its frames, augmentation parameters, task and output once back."""

    request: ClipRequest
    needed: np.ndarray
    order: np.ndarray
    params: tuple[tuple[int, ...], ...]
    route: Route
    task_id: int = -1
    output: ClipOutput | None = None
