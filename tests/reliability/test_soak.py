"""Soak: many clips through the CPU path, with bad files mixed in; memory, files and processes
must not leak.

The short soak (default suite, ~400 clips) and the long one (``-m slow``, 10,000 clips) run
the same code: a warm-up loader is built, run and closed first (the first DALI pipeline in a
process loads libraries and starts multiprocessing's resource tracker once), then the soak
loader runs epoch after epoch. Host memory (this process plus DALI's workers) is measured after
the soak loader's first epoch and at the end; after ``close()`` the open file descriptors,
child processes and threads must be back where they were before it.

Run the long version with ``pytest -m slow tests/reliability/test_soak.py -s`` to see its
numbers (docs/reliability.md lists the last ones measured).
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from fastvid.data.index import VideoIndex
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.loader.clip_loader import ClipLoader
from fastvid.testing import make_video
from tests.reliability.conftest import loader_options

MIB = 1024 * 1024
NUM_VIDEOS = 12
SOAK_SIZE = (64, 48)


@dataclass
class SoakResult:
    clips: int
    epochs: int
    seconds: float
    rss_warm_mib: float
    rss_end_mib: float
    rss_per_epoch_mib: list[float]
    skipped_per_epoch: int
    fds_before: int
    fds_after: int
    children_before: set[int]
    children_after: set[int]
    threads_before: int
    threads_after: int
    new_fds: list[str] = field(default_factory=list)

    @property
    def growth_mib(self) -> float:
        """RSS growth from the end of the first epoch to the end of the last."""
        return self.rss_end_mib - self.rss_warm_mib

    @property
    def steady_growth_mib(self) -> float:
        """RSS growth from the end of the second epoch (allocator pools filled) to the end."""
        return self.rss_end_mib - self.rss_per_epoch_mib[1]

    def __str__(self) -> str:
        return (
            f"{self.clips} clips in {self.epochs} epochs, {self.seconds:.1f} s "
            f"({self.clips / self.seconds:.0f} clips/s); host RSS {self.rss_warm_mib:.0f} MiB "
            f"after the first epoch -> {self.rss_end_mib:.0f} MiB at the end "
            f"({self.growth_mib:+.1f} MiB; {self.steady_growth_mib:+.1f} MiB after the second "
            f"epoch); fds {self.fds_before} -> {self.fds_after}; "
            f"children {len(self.children_before)} -> {len(self.children_after)}; "
            f"threads {self.threads_before} -> {self.threads_after}"
        )


def host_rss() -> int:
    """Resident memory of this process and all its children (DALI's workers), in bytes."""
    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def fd_targets() -> list[str]:
    """What each open file descriptor points at (for the failure message)."""
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
    return sorted(targets)


def settled(measure: Any, expected: Any, timeout: float = 10.0) -> Any:
    """``measure()`` once it equals ``expected`` (processes and threads take a moment to end)."""
    deadline = time.monotonic() + timeout
    value = measure()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        gc.collect()
        value = measure()
    return value


def children() -> set[int]:
    return {c.pid for c in psutil.Process().children() if c.status() != psutil.STATUS_ZOMBIE}


@dataclass
class SoakDataset:
    kind: str  # cpu_decoder
    pairs: list[tuple[str, int]]
    index: VideoIndex


# cpu_decoder -> (codec, extension, worker processes)
PATHS = {"dali": ("vp9", ".webm", 1), "pyav": ("h264", ".mp4", None)}


@pytest.fixture(scope="module", params=list(PATHS))
def soak_dataset(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> SoakDataset:
    """12 small videos plus 3 bad files: empty, not a video, and one deleted after indexing."""
    codec, ext, _ = PATHS[request.param]
    root: Path = tmp_path_factory.mktemp(f"soak_{request.param}")
    good = [
        make_video(root / f"v{i:02d}{ext}", codec=codec, size=SOAK_SIZE, duration=3.0, seed=i)
        for i in range(NUM_VIDEOS)
    ]
    (root / f"empty{ext}").write_bytes(b"")
    (root / f"notes{ext}").write_text("not a video\n" * 100)
    gone = shutil.copyfile(good[0], root / f"gone{ext}")
    paths = [*good[:4], root / f"empty{ext}", *good[4:8], gone, *good[8:], root / f"notes{ext}"]
    index = VideoIndex.build([str(p) for p in paths], cache=False, num_workers=0, progress=False)
    os.remove(gone)
    return SoakDataset(request.param, [(str(p), i % 3) for i, p in enumerate(paths)], index)


def soak_loader(dataset: SoakDataset) -> ClipLoader:
    from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample

    options = loader_options(
        cpu_decoder=dataset.kind,
        num_workers=PATHS[dataset.kind][2],
        clip_sampler=make_clip_sampler("uniform", 0.25),
        transform=ApplyTransformToKey("video", UniformTemporalSubsample(4)),
        batch_size=8,
        video_sampler=None,  # random order, reshuffled every epoch
    )
    return ClipLoader(dataset.pairs, index=dataset.index, **options)


def run_soak(dataset: SoakDataset, *, min_clips: int) -> SoakResult:
    warm_up = soak_loader(dataset)
    for _ in warm_up:
        pass
    warm_up.close()
    del warm_up
    gc.collect()
    fds_before, children_before = open_fds(), children()
    targets_before = fd_targets()
    threads_before = psutil.Process().num_threads()

    loader = soak_loader(dataset)
    rss_per_epoch: list[float] = []
    clips = epochs = 0
    start = time.perf_counter()
    while clips < min_clips or epochs < 3:
        loader.set_epoch(epochs)
        for batch in loader:
            clips += len(batch["video_name"])
        epochs += 1
        gc.collect()
        rss_per_epoch.append(host_rss() / MIB)
    seconds = time.perf_counter() - start
    skipped_per_epoch = sum(1 for s in loader.skipped if s.epoch == epochs - 1)
    loader.close()
    del loader
    gc.collect()
    return SoakResult(
        clips=clips,
        epochs=epochs,
        seconds=seconds,
        rss_warm_mib=rss_per_epoch[0],
        rss_end_mib=rss_per_epoch[-1],
        rss_per_epoch_mib=rss_per_epoch,
        skipped_per_epoch=skipped_per_epoch,
        fds_before=fds_before,
        fds_after=settled(open_fds, fds_before),
        children_before=children_before,
        children_after=settled(children, children_before),
        threads_before=threads_before,
        threads_after=settled(lambda: psutil.Process().num_threads(), threads_before),
        new_fds=sorted(set(fd_targets()) - set(targets_before)),
    )


def check(result: SoakResult, *, max_growth_mib: float, max_steady_growth_mib: float) -> None:
    assert result.growth_mib < max_growth_mib, str(result)
    assert result.steady_growth_mib < max_steady_growth_mib, str(result)
    assert result.skipped_per_epoch > 0, "the deleted file's clips are skipped every epoch"
    assert result.fds_after == result.fds_before, f"{result}; new fds: {result.new_fds}"
    assert result.children_after == result.children_before, str(result)
    assert result.threads_after <= result.threads_before, str(result)


@pytest.mark.timeout(120)
def test_short_soak_does_not_leak(soak_dataset: SoakDataset) -> None:
    result = run_soak(soak_dataset, min_clips=300)
    print(result)
    assert result.clips >= 300
    check(result, max_growth_mib=64, max_steady_growth_mib=32)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_long_soak_does_not_leak(soak_dataset: SoakDataset, request: pytest.FixtureRequest) -> None:
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the long soak runs with -m slow")
    result = run_soak(soak_dataset, min_clips=10_000)
    print(result)
    print("host RSS per epoch (MiB):", [round(r) for r in result.rss_per_epoch_mib])
    assert result.clips >= 10_000
    check(result, max_growth_mib=64, max_steady_growth_mib=16)
