"""Worker processes and shared memory: tasks in, clips out, failures contained."""

from __future__ import annotations

import dataclasses
import glob
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fastvid.reader.errors import WorkerDiedError, WorkerTaskError
from fastvid.reader.workers.pool import WorkerPool
from fastvid.reader.workers.shm import SegmentPool, SegmentViews, new_prefix, remove_segments
from fastvid.reader.workers.tasks import ClipJob, Task, TaskResult, VideoWindow
from fastvid.testing import read_frame_index


def window(meta: Any, path: str) -> VideoWindow:
    return VideoWindow(
        path, meta.size, meta.mtime_ns, 0, meta.pts, meta.keyframes.astype(np.int64),
        meta.height, meta.width,
    )  # fmt: skip


def collect(pool: WorkerPool, count: int, timeout: float = 60.0) -> list[tuple[int, TaskResult]]:
    """The first ``count`` final answers."""
    finals: list[tuple[int, TaskResult]] = []
    deadline = time.monotonic() + timeout
    while len(finals) < count and time.monotonic() < deadline:
        finals += [(w, r) for w, r in pool.results(timeout=1.0) if r.final]
    return finals


def test_segments_are_reused_grown_and_removed() -> None:
    prefix = new_prefix()
    segments = SegmentPool(prefix, 0)
    name, buffer = segments.acquire(1000)
    buffer[:4] = [1, 2, 3, 4]
    views = SegmentViews()
    assert views.view(name, 0, 4).tolist() == [1, 2, 3, 4]  # the same memory, no copy
    segments.release(name)
    assert segments.acquire(500)[0] == name  # a free segment that fits is reused
    bigger, _ = segments.acquire(5 << 20)
    assert bigger != name and os.path.getsize(bigger) >= 5 << 20
    views.close()
    segments.close()
    assert glob.glob(prefix + "-*") == []
    assert remove_segments(prefix) == 0


def test_a_task_comes_back_clip_by_clip_with_its_frames(videos: Any) -> None:
    path = str(videos.path("h264"))
    meta = videos.meta("h264")
    pool = WorkerPool(1, threads=1)
    try:
        clips = (ClipJob(0, np.array([0, 5, 9])), ClipJob(1, np.array([30, 40]), (36, 48)))
        pool.submit(0, Task(7, "pyav", window(meta, path), clips))
        answers: list[TaskResult] = []
        deadline = time.monotonic() + 60
        while not any(a.final for a in answers) and time.monotonic() < deadline:
            answers += [r for _, r in pool.results(timeout=1.0)]
        outputs = {c.slot: (a.segment, c) for a in answers for c in a.clips}
        assert sorted(outputs) == [0, 1]
        assert [a.final for a in answers][-1] and sum(not a.final for a in answers) == 2
        views = SegmentViews()
        for slot, expected, shape in (
            (0, [0, 5, 9], (3, 72, 96, 3)),
            (1, [30, 40], (2, 36, 48, 3)),
        ):
            segment, clip = outputs[slot]
            assert clip.error == "" and clip.shape == shape
            frames = views.view(segment, clip.offset, int(np.prod(shape))).reshape(shape)
            if slot == 0:  # stamps are readable at full size
                assert [read_frame_index(f) for f in frames] == expected
        views.close()
        assert pool.inflight(0) == 0
    finally:
        pool.close()


def test_a_bad_file_fails_its_clips_not_the_worker(videos: Any, tmp_path: Path) -> None:
    meta = videos.meta("h264")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    missing = window(meta, str(tmp_path / "gone.mp4"))
    pool = WorkerPool(1, threads=1)
    try:
        bad = VideoWindow(str(broken), None, None, 0, meta.pts, meta.keyframes, 72, 96)
        pool.submit(0, Task(1, "pyav", bad, (ClipJob(0, np.array([0])),)))
        pool.submit(0, Task(2, "cut", missing, (ClipJob(1, np.array([0])),)))
        pool.submit(
            0, Task(3, "pyav", window(meta, str(videos.path("h264"))), (ClipJob(2, np.array([1])),))
        )
        answers = {r.task_id: r for _, r in collect(pool, 3)}
        assert "FFmpeg cannot open it" in answers[1].clips[0].error
        assert answers[1].clips[0].kind == "not_a_video"  # as the probe would say
        assert "deleted or moved after it was indexed" in answers[2].clips[0].error
        assert answers[2].clips[0].kind == "missing"
        assert answers[3].clips == () or answers[3].clips[0].error == ""  # the worker lives on
    finally:
        pool.close()


def test_a_bug_in_a_task_is_raised_not_recorded_as_a_bad_file(videos: Any) -> None:
    meta = videos.meta("h264")
    good = window(meta, str(videos.path("h264")))
    pool = WorkerPool(1, threads=1)
    try:
        # a frame index out of order: a fastvid bug (the index is sorted), not bad data
        scrambled = dataclasses.replace(good, pts=good.pts[::-1].copy())
        pool.submit(0, Task(1, "pyav", scrambled, (ClipJob(0, np.array([0])),)))
        with pytest.raises(WorkerTaskError, match="not a decoding error") as caught:
            collect(pool, 1)
        assert caught.value.path == good.path
        assert "pts must be strictly increasing" in caught.value.worker_traceback
        pool.submit(0, Task(2, "pyav", good, (ClipJob(1, np.array([1])),)))
        ((_, answer),) = collect(pool, 1)
        assert answer.clips == () or answer.clips[0].error == ""  # the worker lives on
    finally:
        pool.close()


def test_a_task_that_hangs_fails_after_the_timeout_and_the_worker_is_replaced(
    videos: Any, tmp_path: Path
) -> None:
    fifo = tmp_path / "stuck.mp4"
    os.mkfifo(fifo)  # opening it blocks for ever: FFmpeg waits for a writer
    meta = videos.meta("h264")
    pool = WorkerPool(1, threads=1, task_timeout=2.0)
    try:
        first = pool.pids()
        stuck = VideoWindow(str(fifo), None, None, 0, meta.pts, meta.keyframes, 72, 96)
        pool.submit(0, Task(1, "pyav", stuck, (ClipJob(0, np.array([0])),)))
        (answer,) = [r for _, r in collect(pool, 1, timeout=30)]
        assert "took more than 2 s (task_timeout)" in answer.clips[0].error
        assert answer.clips[0].kind == "timeout"
        assert pool.pids() != first
        good = window(meta, str(videos.path("h264")))
        pool.submit(0, Task(2, "pyav", good, (ClipJob(1, np.array([3])),)))
        assert collect(pool, 1)  # the new worker serves tasks
    finally:
        pool.close()


def test_a_killed_worker_is_reported_and_close_leaves_nothing(videos: Any) -> None:
    pool = WorkerPool(2, threads=1)
    prefix = pool.prefix
    try:
        meta = videos.meta("h264")
        pool.submit(
            0, Task(1, "pyav", window(meta, str(videos.path("h264"))), (ClipJob(0, np.array([0])),))
        )
        collect(pool, 1)
        victim = pool.pids()[1]
        os.kill(victim, 9)
        with pytest.raises(WorkerDiedError, match=rf"pid {victim} killed by SIGKILL"):
            for _ in range(20):
                list(pool.results(timeout=0.5))
    finally:
        pool.close()
    assert glob.glob(prefix + "-*") == []


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads /proc/PID/maps")
def test_workers_run_both_routes_without_loading_torch(videos: Any) -> None:
    """A worker decodes (PyAV route) and cuts GOP ranges (DALI routes) with PyAV and NumPy
    only: torch's libraries never enter its memory, so it starts in a fraction of a second."""
    meta = videos.meta("h264")
    pool = WorkerPool(1, threads=1)
    try:
        for task_id, route in enumerate(("pyav", "cut")):
            jobs = (ClipJob(0, np.array([0, 5, 9])),)
            pool.submit(0, Task(task_id, route, window(meta, str(videos.path("h264"))), jobs))
        answers: list[TaskResult] = []
        deadline = time.monotonic() + 60
        while sum(a.final for a in answers) < 2 and time.monotonic() < deadline:
            answers += [r for _, r in pool.results(timeout=1.0)]
        assert sorted((a.task_id, c.error) for a in answers for c in a.clips) == [(0, ""), (1, "")]
        maps = Path(f"/proc/{pool.pids()[0]}/maps").read_text()
        assert "python" in maps  # the worker's own map was read
        assert "libtorch" not in maps and "libc10" not in maps
    finally:
        pool.close()
