"""Plan an epoch over columns: a million videos in about a second, the same clips as one by one.

:mod:`fastvid.reader.planning.epoch` walks PyTorchVideo's loop per video. Here the same answer is
computed for all visited videos at once:

* **Clip times.** A clip sampler whose clips depend on the video's duration only (the
  ``uniform`` and ``constant_clips_per_video`` samplers, fastvid's or PyTorchVideo's) is run
  once per distinct duration, and its clips are repeated for every video of that duration.
  Any other sampler (random ones, custom ones) runs per video, seeded as
  :meth:`EpochPlanner.clips_for_video <fastvid.reader.planning.epoch.EpochPlanner.clips_for_video>`
  seeds it.
* **Frames.** ``ceil(seconds / time_base)`` is computed once per distinct (clip time, time
  base), exactly as :func:`~fastvid.reader.planning.frames.clip_frame_indices` does; for
  constant-rate videos (``pts = first + step * i``) the frames in ``[start, end)`` are then an
  integer range, computed in NumPy. Variable-rate videos go through ``clip_frame_indices``.
* **Empty clips.** As PyTorchVideo, a video's clips stop at the first call of the sampler
  that gives a clip with no frame.
* **Temporal subsample.** ``UniformTemporalSubsample``'s positions depend on the clip's frame
  count only: computed once per distinct count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from fastvid.reader.planning._table import ClipEntries, ClipTimes, EpochPlan
from fastvid.reader.planning._timing import Timing
from fastvid.reader.planning.frames import clip_frame_indices, temporal_subsample

__all__ = [
    "ClipRows",
    "duration_only",
    "plan_visits",
    "rows_from_clips",
    "template_rows",
    "walk_sampler",
]

_BIG = 1 << 62  # stands for an infinite timestamp
_MAX_CALLS = 1_000_000


@dataclass
class ClipRows:
    """The sampler's clips of the visited videos, before frames: one entry per clip.

    Attributes:
        visit: Position in the visit list of each clip (ascending).
        call: Sampler call of each clip, counted per visit (a multi-clip call gives several).
        time_id: Row of ``times`` (the distinct clips) of each clip.
        times: The distinct clips.
    """

    visit: np.ndarray
    call: np.ndarray
    time_id: np.ndarray
    times: ClipTimes


def walk_sampler(
    sampler: Any, duration: Fraction | float, annotation: dict[str, Any] | None
) -> list[tuple]:
    """``(start, end, clip, aug, call)`` of every clip the sampler draws from one video."""
    clips: list[tuple] = []
    last_end: Any = 0.0
    for call in range(_MAX_CALLS):
        start, end, clip_index, aug_index, is_last = sampler(last_end, duration, annotation)
        if isinstance(start, list):
            clips.extend(
                (s, e, c, a, call)
                for s, e, c, a in zip(start, end, clip_index, aug_index, strict=True)
            )
            last = is_last[-1]
            last_end = end[-1]
        else:
            clips.append((start, end, clip_index, aug_index, call))
            last, last_end = is_last, end
        if last:
            break
    else:
        raise RuntimeError(f"clip sampler {sampler!r} never ended on a video of {duration} s")
    if hasattr(sampler, "reset"):
        sampler.reset()
    return clips


def duration_only(sampler: Any) -> bool:
    """Whether ``sampler``'s clips depend on the video's duration only (no randomness, no
    annotation): fastvid's and PyTorchVideo's ``uniform`` and ``constant_clips_per_video``."""
    from fastvid.data.samplers import (
        ConstantClipsPerVideoSampler,
        PyTorchVideoClipSampler,
        UniformClipSampler,
    )

    if type(sampler) in (UniformClipSampler, ConstantClipsPerVideoSampler):
        return True
    inner = sampler.wrapped if type(sampler) is PyTorchVideoClipSampler else sampler
    kind = type(inner)
    return kind.__module__ == "pytorchvideo.data.clip_sampling" and kind.__name__ in (
        "UniformClipSampler",
        "ConstantClipsPerVideoSampler",
    )


def rows_from_clips(per_visit: list[list[tuple]]) -> ClipRows:
    """Clip rows from each visit's ``(start, end, clip, aug, call)`` tuples."""
    counts = np.fromiter((len(c) for c in per_visit), np.int64, len(per_visit))
    flat = [clip for clips in per_visit for clip in clips]
    n = len(flat)
    starts, ends = np.empty(n, object), np.empty(n, object)
    starts[:] = [c[0] for c in flat] if n else []
    ends[:] = [c[1] for c in flat] if n else []
    times = ClipTimes(
        starts,
        ends,
        np.fromiter((c[2] for c in flat), np.int64, n),
        np.fromiter((c[3] for c in flat), np.int64, n),
    )
    return ClipRows(
        np.repeat(np.arange(len(per_visit), dtype=np.int64), counts),
        np.fromiter((c[4] for c in flat), np.int64, n),
        np.arange(n, dtype=np.int64),
        times,
    )


def template_rows(visits: np.ndarray, timing: Timing, factory: Callable[[], Any]) -> ClipRows:
    """The clips of a duration-only sampler: run once per distinct duration, then repeated."""
    dur = timing.dur_id[visits]
    has = dur >= 0
    used = np.flatnonzero(np.bincount(dur[has], minlength=len(timing.durations)))
    slot = np.full(len(timing.durations), -1, np.int64)
    slot[used] = np.arange(len(used))
    templates = [walk_sampler(factory(), timing.durations[d], {}) for d in used.tolist()]
    lengths = np.fromiter((len(t) for t in templates), np.int64, len(templates))
    rows = rows_from_clips(templates)  # one "visit" per distinct duration
    offsets = np.zeros(len(templates) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    template_of = np.where(has, slot[np.maximum(dur, 0)], -1)
    per_visit = np.where(has, lengths[np.maximum(template_of, 0)] if len(lengths) else 0, 0)
    total = int(per_visit.sum())
    visit = np.repeat(np.arange(len(visits), dtype=np.int64), per_visit)
    begins = np.zeros(len(visits), np.int64)
    np.cumsum(per_visit[:-1], out=begins[1:])
    within = np.arange(total, dtype=np.int64) - np.repeat(begins, per_visit)
    time_id = offsets[:-1][template_of[visit]] + within if total else np.zeros(0, np.int64)
    return ClipRows(visit, rows.call[time_id], time_id, rows.times)


def _ceil_pts(rows: ClipRows, videos: np.ndarray, timing: Timing) -> tuple[np.ndarray, np.ndarray]:
    """``ceil(seconds / time_base) + start_pts`` of each clip's start and end (plan.py's
    ``_secs_to_pts_ceil``), computed once per distinct (clip, time base)."""
    n_tb = max(1, len(timing.time_bases))
    key = rows.time_id * n_tb + timing.tb_id[videos]
    space = len(rows.times.starts) * n_tb
    if space <= 8 * len(key) + (1 << 16):  # few distinct keys: a dense map, no sort
        present = np.zeros(space, bool)
        present[key] = True
        keys = np.flatnonzero(present)
        slot = np.zeros(space, np.int64)
        slot[keys] = np.arange(len(keys))
        inverse = slot[key]
    else:
        keys, inverse = np.unique(key, return_inverse=True)
    out = []
    for times in (rows.times.starts, rows.times.ends):
        values = np.empty(len(keys), np.int64)
        for u, k in enumerate(keys.tolist()):
            values[u] = _ceil(times[k // n_tb], timing.time_bases[k % n_tb])
        out.append(values[inverse.reshape(-1)] + timing.start_pts[videos])
    return out[0], out[1]


def _ceil(seconds: Any, time_base: Fraction) -> int:
    if type(seconds) is Fraction and type(time_base) is Fraction and time_base.numerator > 0:
        # ceil(seconds / time_base) in integers: what the Fraction division and its ceil give,
        # without building Fractions (a random sampler's clips are all distinct)
        numerator = seconds.numerator * time_base.denominator
        denominator = seconds.denominator * time_base.numerator
        return max(-_BIG, min(_BIG, -(-numerator // denominator)))
    if seconds == math.inf:
        return _BIG
    return max(-_BIG, min(_BIG, math.ceil(seconds / time_base)))


def _ceil_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -((-a) // b)


def frame_entries(
    rows: ClipRows, unit_video: np.ndarray, timing: Timing, temporal: Sequence[int]
) -> tuple[ClipEntries, np.ndarray, np.ndarray | None]:
    """The frames of ``rows`` (clips of units, ``rows.visit`` being the unit; unit ``u``
    timed as video ``unit_video[u]``), the empty-clip cut applied: the entries (kept rows,
    in order), the entries per unit, and the temporal subsample table."""
    videos = unit_video[rows.visit]
    n = len(videos)
    start, end = _ceil_pts(rows, videos, timing) if n else (videos, videos)
    frames_n = timing.num_frames[videos]
    first_pts, step = timing.first[videos], timing.step[videos]
    constant = timing.constant[videos]
    stepped = constant & (step > 0)
    safe = np.where(stepped, step, 1)
    lo = np.clip(_ceil_div(start - first_pts, safe), 0, frames_n)
    hi = np.clip(_ceil_div(end - first_pts, safe), 0, frames_n)
    single = constant & ~stepped & (frames_n == 1) & (start <= first_pts) & (first_pts < end)
    lo = np.where(stepped, lo, 0)
    count = np.where(stepped, np.maximum(hi - lo, 0), single.astype(np.int64))
    explicit: np.ndarray | None = None
    varying = np.flatnonzero(~constant)
    if len(varying):
        explicit = np.empty(n, object)
        for i in varying.tolist():
            t = int(rows.time_id[i])
            frames = clip_frame_indices(
                timing.timed(int(videos[i])), rows.times.starts[t], rows.times.ends[t]
            )
            explicit[i] = frames
            count[i] = len(frames)
    kept = np.flatnonzero(_cut_after_empty_calls(rows, count == 0))
    count = count[kept]
    subsample = None
    if temporal and len(kept):
        subsample = _subsample_table(int(count.max()), temporal)
        if explicit is not None:
            for i in kept.tolist():
                frames = explicit[i]
                if frames is not None:
                    for size in temporal:
                        frames = temporal_subsample(frames, size)
                    explicit[i] = frames
    entries = ClipEntries(
        rows.time_id[kept], lo[kept], count, None if explicit is None else explicit[kept]
    )
    per_unit = np.bincount(rows.visit[kept], minlength=len(unit_video)).astype(np.int64)
    return entries, per_unit, subsample


def plan_visits(
    rows: ClipRows,
    units: np.ndarray,
    unit_of_visit: np.ndarray,
    visits: np.ndarray,
    timing: Timing,
    temporal: Sequence[int],
    *,
    paths: Sequence[str],
    labels: Sequence[int],
    expand: tuple[int, int] | None = None,
) -> tuple[EpochPlan, np.ndarray]:
    """The plan of the videos ``visits[start:stop]`` (``expand``; default all): the clips of
    ``rows`` (per unit; unit ``u`` timed as video ``units[u]``) given to each visit by
    ``unit_of_visit``; and the clip count of every visit (other ranks' too)."""
    entries, per_unit, subsample = frame_entries(rows, units, timing, temporal)
    offsets = np.zeros(len(per_unit) + 1, np.int64)
    np.cumsum(per_unit, out=offsets[1:])
    per_visit = per_unit[unit_of_visit] if len(per_unit) else np.zeros(len(visits), np.int64)
    start, stop = expand or (0, len(visits))
    mine, unit, count = visits[start:stop], unit_of_visit[start:stop], per_visit[start:stop]
    total = int(count.sum())
    begins = np.zeros(len(mine), np.int64)
    np.cumsum(count[:-1], out=begins[1:])
    shift = np.repeat(offsets[:-1][unit] - begins, count) if total else begins[:0]
    entry = np.arange(total, dtype=np.int64) + shift
    video = np.repeat(mine.astype(np.int32), count)
    plan = EpochPlan(video, entry, entries, rows.times, subsample, paths=paths, labels=labels)
    return plan, per_visit


def _cut_after_empty_calls(rows: ClipRows, empty: np.ndarray) -> np.ndarray:
    """Which clips stay: a visit's clips up to (not including) its first sampler call that
    gave an empty clip."""
    n = len(empty)
    if n == 0 or not empty.any():
        return np.ones(n, bool)
    new_call = np.ones(n, bool)
    new_call[1:] = (rows.visit[1:] != rows.visit[:-1]) | (rows.call[1:] != rows.call[:-1])
    call = np.cumsum(new_call) - 1
    bad = np.bincount(call, weights=empty, minlength=int(call[-1]) + 1) > 0
    seen = np.cumsum(bad)
    call_visit = rows.visit[new_call]
    first_call_of_visit = np.ones(len(call_visit), bool)
    first_call_of_visit[1:] = call_visit[1:] != call_visit[:-1]
    base: np.ndarray = (seen - bad)[first_call_of_visit]  # bad calls before each visit's first call
    visit_group = np.cumsum(first_call_of_visit) - 1
    good_call: np.ndarray = seen - base[visit_group] == 0
    return good_call[call]


def _subsample_table(max_count: int, temporal: Sequence[int]) -> np.ndarray:
    """Row ``t``: ``UniformTemporalSubsample``'s positions (chained over ``temporal``) in a
    clip of ``t`` frames (row 0, an empty clip, is never read)."""
    table = np.zeros((max_count + 1, temporal[-1]), np.int64)
    for t in range(1, max_count + 1):
        positions = np.arange(t, dtype=np.int64)
        for size in temporal:
            positions = temporal_subsample(positions, size)
        table[t] = positions
    return table
