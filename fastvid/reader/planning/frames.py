"""Frame plan: turn a clip in seconds into the frame indices to decode.

This is where fastvid matches PyTorchVideo frame for frame. PyTorchVideo's PyAV decoder
(``EncodedVideoPyAV.get_clip``) returns every frame whose presentation timestamp lies in
``[ceil(start / time_base) + start_pts, ceil(end / time_base) + start_pts)``, one frame per
distinct pts, in pts order; ``UniformTemporalSubsample(n)`` then keeps
``linspace(0, t - 1, n).clamp(0, t - 1).long()`` of those ``t`` frames. fastvid computes both
from the metadata index *before* decoding, so only the ``n`` frames a clip needs are decoded.

Precisely, PyTorchVideo (``_pyav_decode_stream``) seeks to a keyframe well before the clip
(1024 timestamp units), decodes forward, keeps each frame whose pts lies in the clip (keyed by
pts, the last of equal ones wins) and *stops at the first decoded frame whose pts reaches the
clip's end*; it sorts what it kept by pts. Where the decoder outputs frames in pts order (every
container that stores timestamps) that is exactly the frames in ``[start, end)``. In AVI files
with B-frames it is not (:attr:`VideoMeta.output_order`): frames with a pts below the end that
come out after the stopping frame are never collected, and the plan leaves them out too.

Frame indices are positions in :attr:`VideoMeta.pts` (presentation order), the numbering DALI's
``fn.decoders.video(frames=...)`` and :mod:`fastvid.reader.decoding.pyav_source` use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import numpy as np
import torch

__all__ = [
    "REORDER_MARGIN",
    "ClipRequest",
    "TimedVideo",
    "clip_frame_indices",
    "output_order",
    "output_ranks",
    "temporal_subsample",
]


class TimedVideo(Protocol):
    """What the frame plan needs from a video's metadata (see :class:`VideoMeta`)."""

    @property
    def pts(self) -> np.ndarray: ...

    @property
    def time_base(self) -> Fraction: ...

    @property
    def start_pts(self) -> int: ...


# Frames a decoder may output after frames with later timestamps (H.264 reorders at most 16):
# a GOP cut for frames up to position p may also hold frames up to p + REORDER_MARGIN.
REORDER_MARGIN = 32


def output_order(video: object) -> np.ndarray | None:
    """The video's decoder output order (positions in ``pts``), or ``None`` when frames come
    out in ``pts`` order (``VideoMeta.output_order`` empty or absent)."""
    order = getattr(video, "output_order", None)
    if order is None or len(order) == 0:
        return None
    return np.asarray(order, dtype=np.int64)


def output_ranks(video: object) -> np.ndarray | None:
    """For each position in ``pts``, its place in the decoder's output order (the frame number
    a decoder that counts output frames, like DALI's, uses); ``None`` when that is the
    position itself."""
    order = output_order(video)
    if order is None:
        return None
    ranks = np.empty_like(order)
    ranks[order] = np.arange(order.size)
    return ranks


@dataclass(frozen=True)
class ClipRequest:
    """One training sample: a clip of one video and the frames to decode for it.

    Attributes:
        video_index: Position of the video in the dataset's video list.
        path: Path of the video file.
        label: Integer class label.
        clip_index: Clip number within the video (from the clip sampler).
        aug_index: Augmentation number of the clip (from the clip sampler).
        clip_start_sec: Clip start in seconds (inclusive).
        clip_end_sec: Clip end in seconds (exclusive).
        frame_indices: Positions in the video's ``pts`` to decode, in output order
            (may repeat when the clip has fewer frames than the temporal subsample asks for).
    """

    video_index: int
    path: str
    label: int
    clip_index: int
    aug_index: int
    clip_start_sec: Fraction | float
    clip_end_sec: Fraction | float
    frame_indices: np.ndarray


def _secs_to_pts_ceil(seconds: Fraction | float, time_base: Fraction, start_pts: int) -> float:
    """PyTorchVideo's ``secs_to_pts(..., round_mode="ceil")``, including its ``inf`` case."""
    if seconds == math.inf:
        return math.inf
    return math.ceil(seconds / time_base) + start_pts


def clip_frame_indices(
    video: TimedVideo, start_sec: Fraction | float, end_sec: Fraction | float
) -> np.ndarray:
    """Positions in ``video.pts`` of the frames PyTorchVideo returns for ``get_clip(start, end)``.

    Args:
        video: The video's metadata (``pts`` sorted ascending, ``time_base``, ``start_pts``,
            and ``output_order`` when the decoder outputs frames out of ``pts`` order).
        start_sec: Clip start in seconds, inclusive. Pass the sampler's ``Fraction`` values to
            reproduce PyTorchVideo's exact arithmetic.
        end_sec: Clip end in seconds, exclusive.

    Returns:
        An ``int64`` array of positions, ascending; empty when no frame lies in the clip (then
        PyTorchVideo drops the video and so does fastvid's planner).
    """
    pts = np.asarray(video.pts)
    start_pts = _secs_to_pts_ceil(start_sec, video.time_base, video.start_pts)
    end_pts = _secs_to_pts_ceil(end_sec, video.time_base, video.start_pts)
    in_clip = (pts >= start_pts) & (pts < end_pts)
    order = output_order(video)
    if order is not None:
        # PyTorchVideo stops at the first frame *output* at or past the end: frames output
        # after it are never collected, even with a pts inside the clip.
        past_end = np.flatnonzero(pts[order] >= end_pts)
        if past_end.size:
            in_clip[order[past_end[0] :]] = False
    positions = np.flatnonzero(in_clip)
    if positions.size > 1:
        # PyTorchVideo keys decoded frames by pts: of frames sharing a pts the last one wins.
        clip_pts = pts[positions]
        last_of_run = np.append(clip_pts[1:] != clip_pts[:-1], True)
        positions = positions[last_of_run]
    return positions.astype(np.int64)


def temporal_subsample(frame_indices: np.ndarray, num_samples: int | None) -> np.ndarray:
    """Apply ``UniformTemporalSubsample(num_samples)``'s index formula to a clip's frames.

    Args:
        frame_indices: The clip's frame positions (from :func:`clip_frame_indices`).
        num_samples: Frames to keep. ``None`` keeps all of them. When larger than the clip,
            frames repeat (nearest neighbour), exactly as PyTorchVideo does.

    Returns:
        The selected positions, in output order.

    Raises:
        ValueError: If ``num_samples`` is not positive or the clip is empty.
    """
    indices = np.asarray(frame_indices, dtype=np.int64)
    if num_samples is None:
        return indices
    if num_samples <= 0:
        raise ValueError(f"num_samples ({num_samples}) must be > 0")
    t = indices.shape[0]
    if t == 0:
        raise ValueError("cannot subsample an empty clip (no frames between start and end)")
    # torch's float32 linspace + truncation, exactly as pytorchvideo's functional does it.
    chosen = torch.clamp(torch.linspace(0, t - 1, num_samples), 0, t - 1).long().numpy()
    return indices[chosen]
