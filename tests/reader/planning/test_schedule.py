"""Video-affine tasks: a video's neighbouring clips go to one worker, in plan order."""

from __future__ import annotations

import numpy as np
import pytest

from fastvid.reader.planning.frames import ClipRequest
from fastvid.reader.planning.schedule import group_clips


def plan_of(videos: list[int]) -> list[ClipRequest]:
    return [ClipRequest(v, f"{v}.mp4", 0, i, 0, 0, 1, np.arange(2)) for i, v in enumerate(videos)]


def test_runs_of_one_video_become_one_task() -> None:
    tasks = group_clips(plan_of([0, 0, 0, 1, 2, 2, 0]), max_clips=8)
    assert [(t.video_index, t.slots) for t in tasks] == [
        (0, (0, 1, 2)),
        (1, (3,)),
        (2, (4, 5)),
        (0, (6,)),  # the same video later in the plan is another task
    ]


def test_long_runs_are_cut_and_the_first_batch_is_spread() -> None:
    tasks = group_clips(plan_of([0] * 10 + [1] * 3), max_clips=4, first_slots=4, first_clips=2)
    assert [t.slots for t in tasks] == [(0, 1), (2, 3), (4, 5, 6, 7), (8, 9), (10, 11, 12)]
    slots = [s for t in tasks for s in t.slots]
    assert slots == list(range(13))  # every clip once, in order


def test_max_clips_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"max_clips \(0\) must be >= 1"):
        group_clips(plan_of([0]), max_clips=0)
