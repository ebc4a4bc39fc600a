"""A worker process killed mid-epoch: a clear error within seconds, never a hang.

``ClipLoader``'s worker pool waits on the workers' pipes and their process sentinels together,
so a worker that dies (``SIGKILL``, as the out-of-memory killer sends) is noticed at once: the
loader raises ``WorkerDiedError`` naming the process and the signal, stops the other workers,
and starts fresh ones on the next iteration.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

from fastvid.reader.loader.clip_loader import ClipLoader, WorkerDiedError
from fastvid.testing import make_video
from tests.reliability.conftest import loader_options

RAISE_WITHIN_S = 10.0  # from the kill to the error (the loader's own grace period is 2 s)


def spawned_workers(known: set[int]) -> list[psutil.Process]:
    """Child processes started since ``known`` was taken that run multiprocessing's spawn."""
    return [
        child
        for child in psutil.Process().children()
        if child.pid not in known and "spawn_main" in " ".join(child.cmdline())
    ]


def wait_until_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        children = {c.pid: c for c in psutil.Process().children()}
        alive = [p for p in pids if p in children and children[p].status() != "zombie"]
        time.sleep(0.1)
    return alive


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, int]]:
    root: Path = tmp_path_factory.mktemp("fault_videos")
    paths = [
        make_video(root / f"v{i}.mp4", codec="h264", size=(64, 48), duration=3.0, seed=i)
        for i in range(4)
    ]
    return [(str(p), i % 2) for i, p in enumerate(paths)] * 4


def new_loader(videos: list[tuple[str, int]], cache: Path) -> ClipLoader:
    from fastvid.data.samplers import make_clip_sampler

    return ClipLoader(
        videos,
        cache_dir=cache,
        **loader_options(
            cpu_decoder="pyav",
            num_workers=2,
            batch_size=2,
            clip_sampler=make_clip_sampler("uniform", 0.2),
        ),
    )


@pytest.mark.timeout(120)
def test_worker_killed_between_batches(videos: list[tuple[str, int]], tmp_path: Path) -> None:
    known = {c.pid for c in psutil.Process().children()}
    loader = new_loader(videos, tmp_path)
    try:
        batches = iter(loader)
        next(batches)
        workers = spawned_workers(known)
        assert len(workers) == 2, workers
        victim = workers[-1].pid
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        with pytest.raises(WorkerDiedError, match=rf"pid {victim} killed by SIGKILL") as info:
            for _ in batches:
                pass
        assert time.monotonic() - killed_at < RAISE_WITHIN_S
        assert "lower num_workers or batch_size" in str(info.value)
        assert victim in info.value.pids
        # The other worker is stopped too, and the next iteration starts fresh workers.
        assert wait_until_gone([w.pid for w in workers]) == []
        batches_next_epoch = sum(1 for _ in loader)
        assert batches_next_epoch == len(loader)
    finally:
        loader.close()
        gc.collect()
    assert wait_until_gone([w.pid for w in spawned_workers(known)]) == []


@pytest.mark.timeout(120)
def test_worker_killed_while_the_loader_waits_on_workers(
    videos: list[tuple[str, int]], tmp_path: Path
) -> None:
    known = {c.pid for c in psutil.Process().children()}
    loader = new_loader(videos, tmp_path)
    killed_at: list[float] = []
    try:
        batches = iter(loader)
        next(batches)
        victim = spawned_workers(known)[0].pid

        def kill() -> None:
            killed_at.append(time.monotonic())
            os.kill(victim, signal.SIGKILL)

        timer = threading.Timer(0.3, kill)  # fires while the main thread is inside the loop
        timer.start()
        with pytest.raises(WorkerDiedError, match=rf"pid {victim} killed by SIGKILL"):
            for _ in batches:
                time.sleep(0.01)
        timer.join()
        assert time.monotonic() - killed_at[0] < RAISE_WITHIN_S
    finally:
        loader.close()
        gc.collect()
    assert wait_until_gone([w.pid for w in spawned_workers(known)]) == []
