"""Video-affine scheduling: which clips of an epoch one worker prepares together.

An epoch plan lists clips in PyTorchVideo's order: a video's clips one after another (all of
them for the ``uniform`` and ``constant_clips_per_video`` samplers, one for ``random``). Clips
of one video that stand together in the plan become one *task*: one worker decodes them in one
forward pass, sharing the decoder's position (and any frame two clips both need) instead of
each clip seeking back to its keyframe on whichever worker it lands. A task holds at most
``max_clips`` clips so that one very long video cannot keep a single worker busy while the
others wait. The clips of the epoch's first batch are spread over the workers instead
(``first_clips`` per task), so the first batch does not wait for one worker to decode it all.
Which worker prepares a clip never changes the clip: the batches (their order and their
contents) are the same with 1 or 16 workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from fastvid.reader.planning.frames import ClipRequest

__all__ = ["TaskPlan", "group_clips"]


@dataclass(frozen=True)
class TaskPlan:
    """Consecutive clips of one video, prepared by one worker.

    Attributes:
        video_index: The video.
        slots: Positions of the clips in the epoch plan (consecutive, ascending).
    """

    video_index: int
    slots: tuple[int, ...]


class _TaskList(Sequence[TaskPlan]):
    """Tasks given by their first slots; a :class:`TaskPlan` is made when one is read."""

    def __init__(self, starts: np.ndarray, ends: np.ndarray, videos: np.ndarray) -> None:
        self._starts, self._ends, self._videos = starts, ends, videos

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, item: int) -> TaskPlan: ...

    @overload
    def __getitem__(self, item: slice) -> list[TaskPlan]: ...

    def __getitem__(self, item: int | slice) -> TaskPlan | list[TaskPlan]:
        if isinstance(item, slice):
            return [self[i] for i in range(*item.indices(len(self)))]
        start, end = int(self._starts[item]), int(self._ends[item])
        return TaskPlan(int(self._videos[start]), tuple(range(start, end)))


def _group_columns(
    videos: np.ndarray, *, max_clips: int, first_slots: int, first_clips: int | None
) -> _TaskList:
    """:func:`group_clips` over a plan's video column: the same tasks, vectorised."""
    n = len(videos)
    head = min(first_slots, n)
    starts: list[int] = []
    start = 0  # the first slots (one batch): the loop below, in Python
    for position in range(1, head + 1):
        ends_run = position == head or videos[position] != videos[start]
        limit = min(max_clips, first_clips or max_clips)
        if ends_run or position - start == limit:
            starts.append(start)
            start = position
    rest = videos[head:]
    run = np.flatnonzero(np.r_[True, rest[1:] != rest[:-1]]) if len(rest) else np.zeros(0, int)
    run_end = np.r_[run[1:], len(rest)]
    pieces = -(-(run_end - run) // max_clips)
    within = np.arange(int(pieces.sum())) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    cuts = head + np.repeat(run, pieces) + within * max_clips
    first = np.concatenate([np.asarray(starts, np.int64), cuts.astype(np.int64)])
    return _TaskList(first, np.r_[first[1:], n].astype(np.int64), videos)


def group_clips(
    plan: Sequence[ClipRequest],
    *,
    max_clips: int,
    first_slots: int = 0,
    first_clips: int | None = None,
) -> Sequence[TaskPlan]:
    """Cut an epoch plan into tasks: runs of one video's clips, at most ``max_clips`` long.

    Args:
        plan: The epoch's clips in order.
        max_clips: Largest task.
        first_slots: The first this many clips (the first batch) form smaller tasks...
        first_clips: ...of at most this many clips. Default: ``max_clips``.

    Returns:
        The tasks, in plan order (the first slot of each task ascends).
    """
    if max_clips < 1:
        raise ValueError(f"max_clips ({max_clips}) must be >= 1")
    columns = getattr(plan, "video_indices", None)
    if columns is not None:  # an EpochPlan: its video column, no object per clip
        return _group_columns(
            np.asarray(columns), max_clips=max_clips, first_slots=first_slots,
            first_clips=first_clips,
        )  # fmt: skip
    tasks: list[TaskPlan] = []
    start = 0
    for position in range(1, len(plan) + 1):
        ends_run = position == len(plan) or plan[position].video_index != plan[start].video_index
        limit = max_clips if start >= first_slots else min(max_clips, first_clips or max_clips)
        if ends_run or position - start == limit or position == first_slots:
            tasks.append(TaskPlan(plan[start].video_index, tuple(range(start, position))))
            start = position
    return tasks
