"""The shared timing harness: memory sampling, :func:`measure`, and the clip checks.

A row is timed by :func:`measure` over two passes: the first batch of a warm-up pass gives the
time to first batch (building the loader, starting workers, the first decode); a second pass,
timed whole, gives the throughput. Peak host RSS and PSS (this process plus all its children)
and, on a GPU, peak device memory are sampled in a background thread.

The clip checks (``_check_clips``, ``_check_same_clips``) make a row fail when its batches
have the wrong shape or hold other clips than the workload's plan.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from fastvid.benchmark.loaders.workload import ClipConfig

__all__ = ["MEASURE", "MemorySampler", "RowResult", "measure", "two_passes"]

_MB = 1024 * 1024


class MemorySampler:
    """Samples peak memory of this process and its children (and the GPU) in a thread.

    RSS (summed over the process tree) is sampled every ``interval`` seconds, as asked of the
    benchmark; it counts pages shared between processes (torch's libraries in every DataLoader
    worker) once per process, so multi-process loaders look bigger than they are. PSS (shared
    pages split between the processes sharing them, from ``/proc/<pid>/smaps_rollup``) costs
    ~10 ms per process to read, so it is sampled every ``pss_interval`` seconds.

    Args:
        interval: Seconds between RSS samples. Default: 0.05.
        pss_interval: Seconds between PSS samples (``0`` turns PSS off). Default: 1.0.
        gpu: Also sample device memory in use (``torch.cuda.mem_get_info``). Default: ``False``.
    """

    def __init__(
        self, *, interval: float = 0.05, pss_interval: float = 1.0, gpu: bool = False
    ) -> None:
        import psutil

        self._process = psutil.Process()
        self.interval = interval
        self.pss_interval = pss_interval
        self.gpu = gpu
        self.baseline_rss = self._rss()
        self.peak_rss = self.baseline_rss
        self.baseline_pss = self._pss() if pss_interval else None
        self.peak_pss = self.baseline_pss
        self.baseline_gpu = self._gpu_used() if gpu else 0
        self.peak_gpu = self.baseline_gpu
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _tree(self) -> list[Any]:
        return [self._process, *self._process.children(recursive=True)]

    def _rss(self) -> int:
        import psutil

        total = 0
        for process in self._tree():
            try:
                total += process.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return total

    def _pss(self) -> int | None:
        total = 0
        for process in self._tree():
            try:
                with open(f"/proc/{process.pid}/smaps_rollup") as handle:
                    for line in handle:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1]) * 1024
                            break
            except FileNotFoundError:
                if process.pid == self._process.pid:
                    return None  # no smaps_rollup on this system
            except OSError:
                continue
        return total

    def _gpu_used(self) -> int:
        free, total = torch.cuda.mem_get_info()
        return int(total - free)

    def sample(self, *, pss: bool = False) -> None:
        """Take one sample now (with ``pss``, PSS too)."""
        self.peak_rss = max(self.peak_rss, self._rss())
        if pss and self.peak_pss is not None:
            value = self._pss()
            if value is not None:
                self.peak_pss = max(self.peak_pss, value)
        if self.gpu:
            self.peak_gpu = max(self.peak_gpu, self._gpu_used())

    def _run(self) -> None:
        next_pss = time.monotonic() + self.pss_interval
        while not self._stop.wait(self.interval):
            due = bool(self.pss_interval) and time.monotonic() >= next_pss
            if due:
                next_pss = time.monotonic() + self.pss_interval
            try:
                self.sample(pss=due)
            except Exception:  # a child exiting mid-sample: skip this sample
                continue

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class RowResult:
    """One measured (or skipped) row: a loader, a configuration, a dataset.

    ``clips`` were decoded in the measured pass, in ``steady_s`` seconds (``clips_per_s``,
    ``frames_per_s``), the first of its batches after ``restart_s`` (the loader's latency at an
    epoch start, which long epochs amortise); the warm-up pass before it took ``warmup_s``, of
    which ``first_batch_s`` to the first batch (loader construction, worker start-up, first
    decode). See :func:`measure`.
    """

    dataset: str
    row: str
    device: str
    config: str
    sampler: str = "uniform"
    gop: int | None = None
    status: str = "ok"  # "ok" | "skipped" | "failed"
    reason: str = ""
    description: str = ""
    clips: int = 0
    frames: int = 0
    first_batch_s: float | None = None
    warmup_clips: int = 0
    warmup_s: float | None = None
    restart_s: float | None = None
    steady_s: float | None = None
    clips_per_s: float | None = None
    frames_per_s: float | None = None
    peak_rss_mb: float | None = None
    rss_delta_mb: float | None = None
    peak_pss_mb: float | None = None
    pss_delta_mb: float | None = None
    peak_gpu_mb: float | None = None
    cpu_s_per_clip: float | None = None
    best: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (floats rounded)."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 4)
        return out


MEASURE = None  # yielded by a row between its warm-up and its measured batches


def measure(
    batches: Iterator[int | None],
    result: RowResult,
    *,
    frames_per_clip: int,
    gpu: bool = False,
) -> RowResult:
    """Time a row into ``result``.

    ``batches`` yields each batch's clip count, and :data:`MEASURE` (``None``) once, where the
    measured window starts. Rows run two passes over their clips (:func:`two_passes`): the
    first (warm-up) builds the loader and starts its workers; its first batch gives
    ``first_batch_s``. The second pass is timed whole, to the arrival of its last batch:
    ``clips_per_s`` = its clips / its wall time, so batches prefetched during start-up never
    count as free. Besides wall time, the CPU
    seconds the whole process tree spent per clip in the measured window (``cpu_s_per_clip``)
    are recorded: a busy machine disturbs them much less than throughput.
    """
    gc.collect()
    with MemorySampler(gpu=gpu) as memory:
        start = time.perf_counter()
        first = next(batches)
        if first is None:
            raise RuntimeError("a row must yield its first batch before MEASURE")
        _sync(gpu)
        first_done = time.perf_counter()
        memory.sample(pss=True)
        warmup = first
        for clips in batches:
            if clips is None:
                break
            warmup += clips
        _sync(gpu)
        window_start = time.perf_counter()
        cpu_start = _tree_cpu_seconds()
        steady = 0
        restart = None
        end, cpu_end = window_start, cpu_start
        for clips in batches:
            if clips is None:
                raise RuntimeError("a row must yield MEASURE once")
            _sync(gpu)
            # Stop the clocks at the last batch's arrival: shutting the loader down is not timed.
            end = time.perf_counter()
            cpu_end = _tree_cpu_seconds()
            if restart is None:
                restart = end - window_start
            steady += clips
        memory.sample(pss=True)
    result.clips = steady
    result.warmup_clips = warmup
    result.frames = steady * frames_per_clip
    result.first_batch_s = first_done - start
    result.warmup_s = window_start - start
    result.steady_s = end - window_start
    result.restart_s = restart
    if steady and result.steady_s > 0:
        result.clips_per_s = steady / result.steady_s
        result.frames_per_s = result.clips_per_s * frames_per_clip
        result.cpu_s_per_clip = (cpu_end - cpu_start) / steady
    else:
        result.reason = "no measured batches"
    result.peak_rss_mb = memory.peak_rss / _MB
    result.rss_delta_mb = (memory.peak_rss - memory.baseline_rss) / _MB
    if memory.peak_pss is not None and memory.baseline_pss is not None:
        result.peak_pss_mb = memory.peak_pss / _MB
        result.pss_delta_mb = (memory.peak_pss - memory.baseline_pss) / _MB
    if gpu:
        result.peak_gpu_mb = (memory.peak_gpu - memory.baseline_gpu) / _MB
    return result


def two_passes(
    make_pass: Callable[[], Iterator[int]],
    *,
    warmup_batches: int | None = None,
    make_warmup: Callable[[], Iterator[int]] | None = None,
) -> Iterator[int | None]:
    """Warm-up pass, :data:`MEASURE`, measured pass (``make_pass`` makes the measured pass).

    Args:
        make_pass: Returns an iterator over one pass's batch sizes.
        warmup_batches: Cut the warm-up pass after this many batches. Only for loaders whose
            next pass starts from scratch anyway (a new ``DataLoader`` iterator forks new
            workers) or keeps nothing but open decoders: it saves time without changing what
            is measured. Default: ``None``, the whole pass.
        make_warmup: Returns the warm-up pass's iterator when it differs from the measured
            one (fastvid: the epoch before). Default: ``None``, ``make_pass``.
    """
    warmup = (make_warmup or make_pass)()
    for number, clips in enumerate(warmup):
        yield clips
        if warmup_batches is not None and number + 1 >= warmup_batches:
            break
    close = getattr(warmup, "close", None)
    if close is not None:
        close()  # a cut pass: shut its workers down before the clock starts
    yield MEASURE
    yield from make_pass()


def _tree_cpu_seconds() -> float:
    """CPU seconds of this process, its reaped children and its live descendants."""
    import resource

    import psutil

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += times.user + times.system
    return total


def _sync(gpu: bool) -> None:
    if gpu:
        torch.cuda.synchronize()


def _check_clips(video: torch.Tensor, expected: int | None, row: str, config: ClipConfig) -> int:
    """Check a batch is float32 ``(B, 3, num_frames, crop, crop)``; return B."""
    crop, frames = config.crop, config.num_frames
    shape = tuple(video.shape)
    if video.dtype != torch.float32 or shape[1:] != (3, frames, crop, crop):
        raise RuntimeError(
            f"{row}: expected float32 (B, 3, {frames}, {crop}, {crop}) batches, got "
            f"{video.dtype} {shape}"
        )
    if expected is not None and shape[0] != expected:
        raise RuntimeError(f"{row}: expected {expected} clips in the batch, got {shape[0]}")
    return int(shape[0])


def _batch_ids(batch: dict[str, Any]) -> list[tuple[int, int]] | None:
    """``(video_index, clip_index)`` of each clip of a batch dict, when it carries them."""
    if "video_index" not in batch or "clip_index" not in batch:
        return None
    videos = torch.as_tensor(batch["video_index"]).reshape(-1).tolist()
    clips = torch.as_tensor(batch["clip_index"]).reshape(-1).tolist()
    return list(zip(videos, clips, strict=True))


def _plan_ids(plan: Sequence[Any]) -> list[tuple[int, int]]:
    return [(int(r.video_index), int(r.clip_index)) for r in plan]


def _check_same_clips(
    seen: list[tuple[int, int]], plan: Sequence[Any], row: str, *, ordered: bool
) -> None:
    """Raise unless ``seen`` names the plan's clips (in order, or as a multiset)."""
    expected = _plan_ids(plan)
    same = seen == expected if ordered else sorted(seen) == sorted(expected)
    if not same:
        diff = next(
            (i for i, (a, b) in enumerate(zip(seen, expected, strict=False)) if a != b),
            min(len(seen), len(expected)),
        )
        raise RuntimeError(
            f"{row}: loaded other clips than the plan ({len(seen)} vs {len(expected)} clips; "
            f"first difference at {diff}: (video, clip) {seen[diff : diff + 2]} vs "
            f"{expected[diff : diff + 2]})"
        )
