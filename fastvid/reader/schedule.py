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

from fastvid.reader.plan import ClipRequest

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


def group_clips(
    plan: Sequence[ClipRequest],
    *,
    max_clips: int,
    first_slots: int = 0,
    first_clips: int | None = None,
) -> list[TaskPlan]:
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
    tasks: list[TaskPlan] = []
    start = 0
    for position in range(1, len(plan) + 1):
        ends_run = position == len(plan) or plan[position].video_index != plan[start].video_index
        limit = max_clips if start >= first_slots else min(max_clips, first_clips or max_clips)
        if ends_run or position - start == limit or position == first_slots:
            tasks.append(TaskPlan(plan[start].video_index, tuple(range(start, position))))
            start = position
    return tasks
