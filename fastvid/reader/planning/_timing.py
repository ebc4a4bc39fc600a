"""The planner's per-video columns (:class:`Timing`): durations, time bases and timing
classes as ids into short lists of distinct values, read from the index table
(:class:`~fastvid.reader.loader._videos.IndexedVideos`) or from any list of planned videos
(:func:`timing_of`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from fastvid.reader.planning.frames import TimedVideo, output_order

__all__ = ["Timing", "dense_ids", "timing_at", "timing_classes", "timing_of"]


@dataclass(frozen=True)
class Timing:
    """What planning reads of every video of a dataset, as columns (one entry per video).

    Attributes:
        dur_id: Row of ``durations`` of each video; -1: no duration (never planned).
        durations: The distinct durations (``Fraction``, or float where the caller gave
            floats: the sampler sees the same objects the one-by-one loop gives it).
        tb_id: Row of ``time_bases`` of each video.
        time_bases: The distinct time bases.
        start_pts: Stream start.
        first: First frame's pts.
        step: Constant pts step (where ``constant``).
        num_frames: Frames.
        constant: Whether ``pts == first + step * arange(num_frames)``.
        cls_id: Timing class of each video: videos of one class have the same frames for
            the same clip times (equal time base, start, first pts, step and frame count);
            a variable-rate video is a class of its own.
        timed: The full metadata of video ``i`` (read for variable-rate videos only).
    """

    dur_id: np.ndarray
    durations: list[Any]
    tb_id: np.ndarray
    time_bases: list[Fraction]
    start_pts: np.ndarray
    first: np.ndarray
    step: np.ndarray
    num_frames: np.ndarray
    constant: np.ndarray
    cls_id: np.ndarray
    timed: Callable[[int], TimedVideo]


def dense_ids(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, id of each row) of a 2-D int64 array, ids in order of first sight."""
    if len(keys) == 0:
        return keys, np.zeros(0, np.int64)
    low = keys.min(axis=0)
    spans = keys.max(axis=0) - low + 1
    if float(np.prod(spans.astype(np.float64))) < 2.0**62:  # one int64 key per row, no sort
        weights = np.cumprod(np.r_[1, spans[:0:-1]])[::-1]
        key = ((keys - low) * weights).sum(axis=1)
        space = int(np.prod(spans))
        if space <= 8 * len(key) + (1 << 16):
            first = np.full(space, len(key), np.int64)
            first[key[::-1]] = np.arange(len(key) - 1, -1, -1)  # the last write wins: the first
            seen = np.flatnonzero(first < len(key))
            order = seen[np.argsort(first[seen], kind="stable")]
            rank = np.empty(space, np.int64)
            rank[order] = np.arange(len(order))
            return keys[first[order]], rank[key]
        _, firsts, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, firsts, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(firsts, kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return keys[firsts[order]], rank[inverse.reshape(-1)]


def timing_classes(
    tb_id: np.ndarray,
    start_pts: np.ndarray,
    first: np.ndarray,
    step: np.ndarray,
    num_frames: np.ndarray,
    constant: np.ndarray,
) -> np.ndarray:
    """:attr:`Timing.cls_id` of these columns."""
    keys = np.stack([tb_id, start_pts, first, step, num_frames], axis=1)
    keys[~constant] = -1 - np.arange(int((~constant).sum()))[:, None]  # each its own class
    return dense_ids(keys)[1]


def timing_of(videos: Sequence[Any]) -> Timing:
    """The planner's columns of any list of planned videos (one pass over them)."""
    timing = getattr(videos, "timing", None)
    if callable(timing):
        columns: Timing = timing()
        return columns
    n = len(videos)
    durations: dict[tuple[bool, Any], int] = {}
    time_bases: dict[Any, int] = {}
    dur_id = np.full(n, -1, np.int64)
    tb_id = np.zeros(n, np.int64)
    start_pts, first, step, frames = (np.zeros(n, np.int64) for _ in range(4))
    constant = np.ones(n, bool)
    for i, video in enumerate(videos):
        timed = video.timing
        if video.duration is not None:
            key = (isinstance(video.duration, float), video.duration)
            dur_id[i] = durations.setdefault(key, len(durations))
        tb_id[i] = time_bases.setdefault(timed.time_base, len(time_bases))
        start_pts[i] = timed.start_pts
        pts = np.asarray(timed.pts, np.int64)
        frames[i] = len(pts)
        first[i] = pts[0] if len(pts) else 0
        if len(pts) >= 2:
            deltas = np.diff(pts)
            step[i] = deltas[0]
            regular = bool(deltas[0] > 0 and (deltas == deltas[0]).all())
            # AVI with B-frames (an output order) follows PyTorchVideo's stop rule: per video
            constant[i] = regular and output_order(timed) is None
    return Timing(
        dur_id=dur_id,
        durations=[value for _, value in durations],
        tb_id=tb_id,
        time_bases=list(time_bases),
        start_pts=start_pts,
        first=first,
        step=step,
        num_frames=frames,
        constant=constant,
        cls_id=timing_classes(tb_id, start_pts, first, step, frames, constant),
        timed=lambda i: videos[i].timing,
    )


def timing_at(videos: Sequence[Any], positions: np.ndarray) -> Timing:
    """The planner's columns of the videos at ``positions`` only (row ``i``: video
    ``positions[i]``): what planning a few videos of a large dataset reads."""
    at = getattr(videos, "timing_at", None)
    if callable(at):
        columns: Timing = at(positions)
        return columns
    return timing_of([videos[i] for i in np.asarray(positions).tolist()])
