"""The loader rows and the harness that times them.

Every row reads the SAME files and produces the SAME clips: a workload (:func:`make_workload`)
is a clip sampler (``uniform``, ``random`` or ``constant_clips_per_video``, 2 s clips) over the
videos in order, planned once by fastvid's planner (:meth:`fastvid.reader.loader.ClipLoader.plan`),
which names the 8 frames of each clip; the rows that decode frames themselves (torchcodec,
decord, the ceiling) decode exactly those frames, PyTorchVideo and fastvid sample the same
clips. A workload covers whole videos from the start of the dataset, at most ``max_clips``
clips. Each row hands over batches of float32 ``(B, C, T, H, W)`` clips (the ceiling: decoded
uint8 frames, untransformed).

A row is timed by :func:`measure` over two passes: the first batch of a warm-up pass gives the
time to first batch (building the loader, starting workers, the first decode); a second pass,
timed whole, gives the throughput. Peak host RSS and PSS (this process plus all its children)
and, on a GPU, peak device memory are sampled in a background thread.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import numpy as np
import torch

import fastvid  # noqa: F401  (first: makes pytorchvideo.transforms importable on new torchvision)

__all__ = [
    "CLIPS_PER_VIDEO",
    "ROW_NAMES",
    "SAMPLER_NAMES",
    "SEED_CONFIG",
    "MemorySampler",
    "RowJob",
    "RowResult",
    "Workload",
    "make_workload",
    "measure",
    "row_jobs",
    "sampler_args",
]

# The seed config (Flash's video classification defaults, minus normalisation).
SEED_CONFIG: dict[str, Any] = {
    "clip_sampler": "uniform",
    "clip_duration": 2.0,
    "num_frames": 8,
    "short_side": (256, 320),
    "crop": 244,
    "flip_p": 0.5,
    "video_sampler": "SequentialSampler",
}

# The clip samplers a workload can use (all with SEED_CONFIG's 2 s clips): the seed's
# ``uniform``, ``random`` (one random clip per video per epoch: what training uses) and
# ``constant_clips_per_video`` (CLIPS_PER_VIDEO evenly spaced clips per video).
SAMPLER_NAMES = ("uniform", "random", "constant_clips_per_video")
CLIPS_PER_VIDEO = 4


def sampler_args(name: str) -> tuple[Any, ...]:
    """Positional arguments of ``make_clip_sampler(name, ...)`` (PyTorchVideo's order)."""
    if name not in SAMPLER_NAMES:
        raise ValueError(f"clip sampler ({name!r}) must be one of {list(SAMPLER_NAMES)}")
    if name == "constant_clips_per_video":
        return (SEED_CONFIG["clip_duration"], CLIPS_PER_VIDEO)
    return (SEED_CONFIG["clip_duration"],)


# Rows in the order they run within a dataset. PyTorchVideo and the DataLoader-based rows fork
# their workers, so they run before anything starts DALI threads in this process.
ROW_NAMES = ("pytorchvideo", "torchcodec", "decord", "ceiling", "fastvid")

_MB = 1024 * 1024


# --------------------------------------------------------------------------- transforms


def seed_video_transform(*, subsample: bool = True) -> Any:
    """The seed config's video transform, as Flash users wrote it.

    Args:
        subsample: Start with ``UniformTemporalSubsample(8)`` (off for rows that decode only the
            8 frames already). Default: ``True``.
    """
    from pytorchvideo.transforms import RandomShortSideScale, UniformTemporalSubsample
    from torchvision.transforms import Compose, RandomCrop, RandomHorizontalFlip

    low, high = SEED_CONFIG["short_side"]
    steps: list[Any] = [UniformTemporalSubsample(SEED_CONFIG["num_frames"])] if subsample else []
    steps += [
        RandomShortSideScale(min_size=low, max_size=high),
        RandomCrop(SEED_CONFIG["crop"]),
        RandomHorizontalFlip(p=SEED_CONFIG["flip_p"]),
    ]
    return Compose(steps)


def seed_sample_transform() -> Any:
    """``ApplyTransformToKey("video", seed_video_transform())`` (PyTorchVideo's sample dicts)."""
    from pytorchvideo.transforms import ApplyTransformToKey

    return ApplyTransformToKey("video", seed_video_transform())


# --------------------------------------------------------------------------- workload


@dataclass
class Workload:
    """The files and clips every row of one (dataset, clip sampler) pair loads.

    Attributes:
        name: Dataset label (``"720p-h264-gop250"``).
        pairs: ``(path, label)`` per video the workload uses: the first videos of the dataset.
        index: fastvid's metadata index of the files.
        plan: The clips, in PyTorchVideo's order (sequential videos), planned by fastvid for
            epoch ``epoch``.
        batch_size: Clips per batch.
        codec: The videos' codec.
        sampler: The clip sampler's name (:data:`SAMPLER_NAMES`).
        epoch: The epoch ``plan`` belongs to: fastvid's measured pass. Default: 1 (fastvid's
            warm-up pass is epoch 0, whose pipeline the measured epoch reuses).
        gop: The dataset's keyframe interval in frames (for the report). Default: ``None``.
        dataset_videos: Videos in the whole dataset. Default: ``len(pairs)``.
        epoch_clips: Clips of a whole epoch over all ``dataset_videos``. Default: the plan's.
    """

    name: str
    pairs: list[tuple[str, int]]
    index: Any
    plan: list[Any]
    batch_size: int
    codec: str
    sampler: str = "uniform"
    epoch: int = 1
    gop: int | None = None
    dataset_videos: int = 0
    epoch_clips: int = 0

    def __post_init__(self) -> None:
        self.dataset_videos = self.dataset_videos or len(self.pairs)
        self.epoch_clips = self.epoch_clips or len(self.plan)

    @property
    def num_clips(self) -> int:
        """Clips per pass."""
        return len(self.plan)

    @property
    def num_videos(self) -> int:
        """Videos the workload reads."""
        return len(self.pairs)

    def batches(self) -> list[list[Any]]:
        """The plan cut into batches."""
        b = self.batch_size
        return [self.plan[i : i + b] for i in range(0, len(self.plan), b)]

    def limited(self, max_clips: int | None, *, min_videos: int = 1) -> Workload:
        """The same workload on its first videos: at most ``max_clips`` clips (whole videos),
        but at least ``min_videos`` videos (e.g. one per DataLoader worker)."""
        if max_clips is None or max_clips >= self.num_clips:
            return self
        videos = max(_videos_within(self.plan, max_clips), min_videos)
        if videos >= self.num_videos:
            return self
        return make_workload(
            self.name,
            self.pairs,
            batch_size=self.batch_size,
            index=self.index,
            codec=self.codec,
            sampler=self.sampler,
            max_videos=videos,
            epoch=self.epoch,
            gop=self.gop,
            dataset_videos=self.dataset_videos,
            epoch_clips=self.epoch_clips,
        )


def _videos_within(plan: list[Any], max_clips: int) -> int:
    """How many leading videos of a sequential plan fit in ``max_clips`` clips (at least 1)."""
    counts: dict[int, int] = {}
    for request in plan:
        counts[request.video_index] = counts.get(request.video_index, 0) + 1
    order = list(counts)
    if order != sorted(order):
        raise RuntimeError("the plan does not visit the videos in order (SequentialSampler)")
    total = videos = 0
    for video in order:
        total += counts[video]
        if total > max_clips:
            break
        videos += 1
    return max(1, videos)


def make_workload(
    name: str,
    pairs: Sequence[tuple[str, int]],
    *,
    batch_size: int,
    index: Any,
    codec: str,
    sampler: str = "uniform",
    max_clips: int | None = None,
    max_videos: int | None = None,
    epoch: int = 1,
    gop: int | None = None,
    dataset_videos: int | None = None,
    epoch_clips: int | None = None,
) -> Workload:
    """Plan the clips of ``pairs`` with fastvid's planner (no decoding).

    Args:
        name: Dataset label.
        pairs: ``(path, label)`` per video.
        batch_size: Clips per batch.
        index: A :class:`fastvid.data.index.VideoIndex` of the files.
        codec: The videos' codec.
        sampler: Clip sampler name (:data:`SAMPLER_NAMES`). Default: ``"uniform"``.
        max_clips: Keep the first videos whose clips fit in this many (at least one video);
            ``None`` keeps all. Whole videos, so fastvid's epoch over them is exactly the plan.
            Default: ``None``.
        max_videos: Keep at most this many videos. Default: ``None``, all.
        epoch: The epoch to plan. Default: 1 (see :class:`Workload`).
        gop: The keyframe interval, for the report. Default: ``None``.
        dataset_videos: Videos in the whole dataset. Default: ``len(pairs)``.
        epoch_clips: Clips of a whole epoch over the dataset. Default: planned here.
    """
    pairs = list(pairs)
    total_videos = dataset_videos or len(pairs)

    def plan_of(videos: list[tuple[str, int]]) -> list[Any]:
        loader = _fastvid_loader(
            videos,
            index=index,
            batch_size=batch_size,
            device="cpu",
            cpu_decoder="pyav",
            num_workers=None,
            sampler=sampler,
        )
        return list(loader.plan(epoch))

    if max_videos is not None and not epoch_clips:
        epoch_clips = len(plan_of(pairs))  # the whole dataset's epoch, for the report
    pairs = pairs[:max_videos] if max_videos is not None else pairs
    plan = plan_of(pairs)
    full = epoch_clips or len(plan)
    if max_clips is not None and len(plan) > max_clips:
        pairs = pairs[: _videos_within(plan, max_clips)]
        plan = plan_of(pairs)
    return Workload(
        name,
        pairs,
        index,
        plan,
        batch_size,
        codec,
        sampler,
        epoch,
        gop,
        total_videos,
        full,
    )


# --------------------------------------------------------------------------- measuring


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


def _check_clips(video: torch.Tensor, expected: int | None, row: str) -> int:
    """Check a batch is float32 ``(B, 3, 8, crop, crop)``; return B."""
    crop, frames = SEED_CONFIG["crop"], SEED_CONFIG["num_frames"]
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


# --------------------------------------------------------------------------- PyTorchVideo


class PlannedClipSampler:
    """A PyTorchVideo clip sampler that replays a fastvid plan, video by video.

    PyTorchVideo's ``RandomClipSampler`` draws from Python's global ``random`` (in each
    DataLoader worker), so its clips cannot match another loader's; this replays the planned
    start and end times instead (each video's annotation carries its ``video_index``). The
    decoding work is PyTorchVideo's own: ``LabeledVideoDataset`` calls ``video.get_clip``.

    Args:
        plan: The planned clips (``video_index``, ``clip_index``, ``aug_index``,
            ``clip_start_sec``, ``clip_end_sec``).
    """

    def __init__(self, plan: Sequence[Any]) -> None:
        self._clips: dict[int, list[Any]] = {}
        for request in plan:
            self._clips.setdefault(int(request.video_index), []).append(request)
        self._position = 0

    def __call__(self, last_clip_time: Any, video_duration: Any, annotation: dict) -> Any:
        from pytorchvideo.data.clip_sampling import ClipInfo

        clips = self._clips[int(annotation["video_index"])]
        request = clips[self._position]
        self._position += 1
        return ClipInfo(
            request.clip_start_sec,
            request.clip_end_sec,
            request.clip_index,
            request.aug_index,
            self._position >= len(clips),
        )

    def reset(self) -> None:
        """Start over (PyTorchVideo calls this after each video's last clip)."""
        self._position = 0


def _pytorchvideo_clip_sampler(work: Workload) -> Any:
    """PyTorchVideo's own sampler where it is deterministic (the same clips as fastvid's plan);
    the plan replayed for ``random``."""
    if work.sampler == "random":
        return PlannedClipSampler(work.plan)
    from pytorchvideo.data.clip_sampling import make_clip_sampler

    return make_clip_sampler(work.sampler, *sampler_args(work.sampler))


def pytorchvideo_batches(work: Workload, *, num_workers: int) -> Iterator[int | None]:
    """PyTorchVideo ``LabeledVideoDataset`` + PyAV decoder + torch ``DataLoader``.

    What Lightning Flash users ran: every frame of the 2 s clip is decoded and converted to RGB
    float, then ``UniformTemporalSubsample(8)`` keeps 8 and the spatial transforms run in torch.
    The measured pass must load exactly the planned clips (in any order: DataLoader workers
    interleave their videos).
    """
    from pytorchvideo.data import LabeledVideoDataset
    from torch.utils.data import DataLoader, SequentialSampler

    def one_pass() -> Iterator[int]:
        # A new dataset per pass: LabeledVideoDataset keeps its position inside the current
        # video across iter() calls, so a cut warm-up pass would leak clips into the next one.
        dataset = LabeledVideoDataset(
            [
                (path, {"label": label, "video_index": i})
                for i, (path, label) in enumerate(work.pairs)
            ],
            clip_sampler=_pytorchvideo_clip_sampler(work),
            video_sampler=SequentialSampler,
            transform=seed_sample_transform(),
            decode_audio=False,
            decoder="pyav",
        )
        loader = DataLoader(dataset, batch_size=work.batch_size, num_workers=num_workers)
        seen: list[tuple[int, int]] = []
        for batch in loader:
            seen += _batch_ids(batch) or []
            yield _check_clips(batch["video"], None, "pytorchvideo")
        _check_same_clips(seen, work.plan, "pytorchvideo", ordered=False)

    yield from two_passes(one_pass, warmup_batches=1)


# --------------------------------------------------------------------------- fastvid


def _fastvid_loader(
    pairs: list[tuple[str, int]],
    *,
    index: Any,
    batch_size: int,
    device: str,
    cpu_decoder: str,
    num_workers: int | None,
    sampler: str = "uniform",
    video_sampler: Any = None,
) -> Any:
    from torch.utils.data import SequentialSampler

    from fastvid.data.samplers import make_clip_sampler
    from fastvid.reader.loader import ClipLoader

    return ClipLoader(
        pairs,
        clip_sampler=make_clip_sampler(sampler, *sampler_args(sampler)),
        transform=seed_sample_transform(),
        batch_size=batch_size,
        video_sampler=video_sampler or SequentialSampler,
        device=device,
        cpu_decoder=cpu_decoder,  # type: ignore[arg-type]
        num_workers=num_workers,
        index=index,
        on_error="raise",
        progress=False,
    )


class WarmupThenSequential(torch.utils.data.Sampler[int]):
    """Videos in order; epoch ``warmup_epoch`` visits only the first ``warmup_videos``.

    fastvid's warm-up epoch only has to build the pipeline and start its workers, and end, so
    that the measured epoch after it reuses them (as every epoch after a training run's first
    does); a short one saves a whole pass. Every other epoch is ``SequentialSampler``'s
    (clip sampling is seeded per epoch and video, not by the order, so the plans are the same).

    Args:
        num_videos: Videos in the dataset.
        warmup_videos: Videos of the warm-up epoch.
        warmup_epoch: The warm-up epoch's number.
    """

    def __init__(self, num_videos: int, warmup_videos: int, warmup_epoch: int) -> None:
        self.num_videos = num_videos
        self.warmup_videos = min(warmup_videos, num_videos)
        self.warmup_epoch = warmup_epoch
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch (the planner calls this before iterating)."""
        self.epoch = epoch

    def _count(self) -> int:
        return self.warmup_videos if self.epoch == self.warmup_epoch else self.num_videos

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._count()))

    def __len__(self) -> int:
        return self._count()


def _videos_for_clips(plan: Sequence[Any], clips: int) -> int:
    """The fewest leading videos of a sequential plan with at least ``clips`` clips."""
    seen: set[int] = set()
    for number, request in enumerate(plan, 1):
        seen.add(int(request.video_index))
        if number >= clips:
            break
    return max(1, len(seen))


def fastvid_batches(
    work: Workload,
    *,
    device: str,
    cpu_decoder: str = "auto",
    num_workers: int | None = None,
    max_batches: int | None = None,
    warmup_batches: int = 3,
    report: dict[str, Any] | None = None,
) -> Iterator[int | None]:
    """fastvid ``ClipLoader``: the same sample transform, lowered into the DALI graph.

    Two whole epochs, as in training: epoch ``work.epoch - 1`` (warm-up: builds the pipeline
    and starts the workers; only the first videos, at least two batches of clips, see
    :class:`WarmupThenSequential`) and epoch ``work.epoch`` (measured: reuses the pipeline the
    warm-up built, as every epoch after the first does), whose plan is ``work.plan`` — the
    clips every other row loads, ending exactly at the last planned clip (no prefetching past
    it competes with the measured clips). (Before the reader's engine rewrite, iterating epoch
    0 twice or cutting an epoch short rebuilt the pipeline: seconds no training epoch pays.)
    The measured batches must be the planned clips, in order. With ``max_batches`` (the
    scaling run, whose epochs are long), epoch ``work.epoch`` alone, cut after
    ``max_batches``, measured after ``warmup_batches``. ``report`` receives the measured
    epoch's engine numbers (``loader.last_epoch_stats``: per-clip overhead outside decoding and
    the graph, decoded frames per clip) and the worker/thread budget.
    """
    warmup_videos = _videos_for_clips(work.plan, 2 * work.batch_size)
    loader = _fastvid_loader(
        work.pairs,
        index=work.index,
        batch_size=work.batch_size,
        device=device,
        cpu_decoder=cpu_decoder,
        num_workers=num_workers,
        sampler=work.sampler,
        video_sampler=WarmupThenSequential(len(work.pairs), warmup_videos, work.epoch - 1),
    )
    expected = _plan_ids(work.plan)

    def one_epoch(epoch: int) -> Iterator[int]:
        loader.set_epoch(epoch)
        seen: list[tuple[int, int]] = []
        for batch in loader:
            ids = _batch_ids(batch)
            count = _check_clips(batch["video"], None, "fastvid")
            if ids is not None and epoch == work.epoch:
                start = len(seen)
                seen += ids
                if ids != expected[start : start + len(ids)]:
                    _check_same_clips(seen, work.plan[: len(seen)], "fastvid", ordered=True)
            yield count
        if loader.skipped:
            raise RuntimeError(f"fastvid skipped clips: {loader.skipped[:3]}")
        stats = loader.last_epoch_stats
        if report is not None and stats is not None and epoch == work.epoch and stats.clips:
            budget = loader.budget
            report.update(
                overhead_ms_per_clip=round(1000 * stats.overhead_per_clip, 3),
                decoded_frames_per_clip=round(stats.decoded_frames / stats.clips, 1),
                decode_ms_per_clip=round(1000 * stats.decode_seconds / stats.clips, 2),
                finish_ms_per_clip=round(1000 * stats.dali_seconds / stats.clips, 2),
                workers=budget.workers,
                decoder_threads=budget.decoder_threads,
            )

    try:
        if max_batches is None:
            if work.epoch < 1:
                raise ValueError(f"work.epoch ({work.epoch}) must be >= 1: epoch - 1 warms up")
            yield from two_passes(
                lambda: one_epoch(work.epoch), make_warmup=lambda: one_epoch(work.epoch - 1)
            )
            return
        for number, clips in enumerate(one_epoch(work.epoch)):
            if number == warmup_batches:
                yield MEASURE
            yield clips
            if number + 1 >= max_batches:
                break
    finally:
        loader.close()


# --------------------------------------------------------------------------- frame decoders


class _DecoderCache:
    """Keeps a few decoders open (like fastvid's reader), so consecutive clips reuse them."""

    def __init__(self, opener: Callable[[str], Any], size: int = 4) -> None:
        self._opener = opener
        self._size = size
        self._open: OrderedDict[str, Any] = OrderedDict()

    def get(self, path: str) -> Any:
        decoder = self._open.get(path)
        if decoder is None:
            decoder = self._opener(path)
            self._open[path] = decoder
            while len(self._open) > self._size:
                self._open.popitem(last=False)
        self._open.move_to_end(path)
        return decoder


class TorchcodecClips:
    """The 8 planned frames of a clip with ``torchcodec.decoders.VideoDecoder.get_frames_at``.

    Args:
        device: ``"cpu"`` or ``"cuda"``.
        threads: ``num_ffmpeg_threads`` (0: FFmpeg picks). Default: 0.
    """

    def __init__(self, *, device: str = "cpu", threads: int = 0) -> None:
        self.device = device
        self.threads = threads
        self._cache: _DecoderCache | None = None

    def _open(self, path: str) -> Any:
        from torchcodec.decoders import VideoDecoder

        return VideoDecoder(
            path, device=self.device, num_ffmpeg_threads=self.threads, seek_mode="exact"
        )

    def frames(self, request: Any) -> torch.Tensor:
        """uint8 ``(T, C, H, W)`` frames of one clip."""
        if self._cache is None:
            self._cache = _DecoderCache(self._open)
        decoder = self._cache.get(request.path)
        return decoder.get_frames_at(request.frame_indices.tolist()).data


class DecordClips:
    """The 8 planned frames of a clip with ``decord.VideoReader.get_batch``.

    Args:
        threads: decord decoder threads (0: automatic). Default: 0.
    """

    def __init__(self, *, threads: int = 0) -> None:
        self.threads = threads
        self._cache: _DecoderCache | None = None

    def _open(self, path: str) -> Any:
        import decord

        return decord.VideoReader(path, ctx=decord.cpu(0), num_threads=self.threads)

    def frames(self, request: Any) -> torch.Tensor:
        """uint8 ``(T, C, H, W)`` frames of one clip."""
        if self._cache is None:
            self._cache = _DecoderCache(self._open)
        reader = self._cache.get(request.path)
        array = reader.get_batch(request.frame_indices.tolist()).asnumpy()
        return torch.from_numpy(array).permute(0, 3, 1, 2)


class _TransformedClips(torch.utils.data.Dataset):
    """Map-style dataset: planned clip ``i`` → decoded 8 frames → the seed transforms."""

    def __init__(self, plan: list[Any], clips: Any) -> None:
        self.plan = plan
        self.clips = clips
        self.transform = seed_video_transform(subsample=False)

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, i: int) -> dict[str, Any]:
        request = self.plan[i]
        frames = self.clips.frames(request)  # (T, C, H, W) uint8
        video = frames.permute(1, 0, 2, 3).float()  # (C, T, H, W) float, as PyTorchVideo gives
        return {"video": self.transform(video), "label": request.label}


def decoded_clip_batches(
    work: Workload, clips: Any, *, num_workers: int, row: str, device: str = "cpu"
) -> Iterator[int | None]:
    """Decode the planned frames with ``clips`` and transform them in torch, via a DataLoader."""
    from torch.utils.data import DataLoader

    dataset = _TransformedClips(work.plan, clips)
    loader = DataLoader(dataset, batch_size=work.batch_size, num_workers=num_workers, shuffle=False)

    def one_pass() -> Iterator[int]:
        for batch in loader:
            video = batch["video"]
            if device != "cpu" and video.device.type == "cpu":
                raise RuntimeError(f"{row}: expected batches on {device}, got {video.device}")
            yield _check_clips(video, None, row)

    yield from two_passes(one_pass, warmup_batches=1)


# --------------------------------------------------------------------------- the ceiling


class PyAVCeiling:
    """Decode-only: exactly the planned frames, converted to RGB at full size, no transforms.

    Uses :class:`fastvid.reader.pyav_source.PyAVFrameReader` (seek to the keyframe before each
    run of needed frames, decode forward, skip unneeded non-reference frames, convert only the
    needed frames), the fastest frame-selective CPU decoder here.

    Args:
        threads: FFmpeg decoder threads (0: FFmpeg picks). Default: 0.
    """

    def __init__(self, *, threads: int = 0) -> None:
        self.threads = threads
        self._reader: Any = None

    def frames(self, request: Any, meta: Any) -> np.ndarray:
        """uint8 ``(T, H, W, 3)`` frames of one clip."""
        from fastvid.reader.pyav_source import PyAVFrameReader

        if self._reader is None:
            self._reader = PyAVFrameReader()
        return self._reader.decode_frames(
            request.path,
            request.frame_indices,
            pts=meta.pts,
            keyframes=meta.keyframes,
            threads=self.threads,
        )


def _ceiling_in_process(work: Workload, *, threads: int) -> Iterator[int | None]:
    decoder = PyAVCeiling(threads=threads)

    def one_pass() -> Iterator[int]:
        for batch in work.batches():
            for request in batch:
                decoder.frames(request, work.index.meta(request.path))
            yield len(batch)

    yield from two_passes(one_pass, warmup_batches=1)  # the decoder stays open between passes


_WORKER_CEILING: PyAVCeiling | None = None


def _ceiling_worker_init() -> None:
    global _WORKER_CEILING
    _WORKER_CEILING = PyAVCeiling(threads=1)


def _ceiling_worker_batch(batch: list[tuple[Any, Any]]) -> int:
    assert _WORKER_CEILING is not None
    for request, meta in batch:
        _WORKER_CEILING.frames(request, meta)
    return len(batch)


def _ceiling_processes(work: Workload, *, processes: int) -> Iterator[int | None]:
    """One single-threaded decoder per process; each process decodes whole batches."""
    tasks = [[(r, work.index.meta(r.path)) for r in batch] for batch in work.batches()]
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_ceiling_worker_init) as pool:
        # Warm-up: one batch per process (a cut imap would go on decoding in the background).
        yield from two_passes(
            lambda: pool.imap(_ceiling_worker_batch, tasks),
            make_warmup=lambda: pool.imap(_ceiling_worker_batch, tasks[:processes]),
        )


class _EncodedBatches:
    """DALI batch source: the planned batches' file bytes and frame indices, once per epoch."""

    def __init__(self, batches: list[list[Any]]) -> None:
        self.batches = batches
        self.position = 0

    def __call__(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if self.position >= len(self.batches):
            self.position = 0  # next epoch starts over
            raise StopIteration
        batch = self.batches[self.position]
        self.position += 1
        data = [np.fromfile(r.path, dtype=np.uint8) for r in batch]
        return data, [r.frame_indices.astype(np.int32) for r in batch]


def _dali_decode_only(work: Workload, *, device: str) -> Iterator[int | None]:
    """DALI ``fn.decoders.video(frames=...)`` of the planned frames, nothing else."""
    from nvidia.dali import fn
    from nvidia.dali.pipeline import Pipeline

    gpu = device == "gpu"
    pipe: Any = Pipeline(
        batch_size=work.batch_size,
        num_threads=os.cpu_count() or 1,
        device_id=torch.cuda.current_device() if gpu else None,
        prefetch_queue_depth=2,
        exec_dynamic=True,
    )
    with pipe:
        data, frames = fn.external_source(
            source=_EncodedBatches(work.batches()), num_outputs=2, batch=True
        )
        video = fn.decoders.video(data, device="mixed" if gpu else "cpu", frames=frames)
        pipe.set_outputs(video)
    pipe.build()

    try:
        yield from two_passes(partial(_dali_epoch, pipe))
    finally:
        pipe = None  # frees DALI's threads and buffers before the next row


def _dali_epoch(pipe: Any) -> Iterator[int]:
    while True:
        try:
            (video,) = pipe.run()
        except StopIteration:
            pipe.reset()
            return
        yield len(video)


# --------------------------------------------------------------------------- jobs


@dataclass
class RowJob:
    """One row to run: what it is, and the iterator factory that runs it."""

    row: str
    device: str
    config: str
    description: str
    run: Callable[[], Iterator[int | None]]
    params: dict[str, Any] = field(default_factory=dict)
    skip_reason: str = ""
    work: Workload | None = None  # when the row loads other clips than the dataset's workload


def _available(module: str) -> str:
    """'' if ``module`` imports, else why not."""
    try:
        __import__(module)
    except Exception as exc:
        return f"{module} is not usable here ({type(exc).__name__}: {str(exc)[:200]})"
    return ""


def _fastvid_cpu_decoders(codec: str, vp9_decoders: Sequence[str]) -> list[str]:
    """fastvid's CPU decoders for ``codec``: DALI's CPU decoder only reads VP8/VP9/MJPEG."""
    if codec in ("vp8", "vp9", "mjpeg"):
        return list(vp9_decoders)
    return ["pyav"]


def cuda_reason() -> str:
    """'' if a CUDA device is usable, else why not."""
    try:
        if torch.cuda.is_available() and torch.cuda.device_count() > 0:
            return ""
    except Exception as exc:
        return f"CUDA check failed: {exc}"
    return "no CUDA device (torch.cuda.is_available() is False): GPU rows are not measured"


def ptv_worker_counts(cores: int) -> list[int]:
    """DataLoader worker counts to try for PyTorchVideo: 0, 1, 2, 4, ... and all cores."""
    counts = {0, cores}
    n = 1
    while n < cores:
        counts.add(n)
        n *= 2
    return sorted(counts)


def row_jobs(
    work: Workload,
    *,
    rows: Sequence[str] = ROW_NAMES,
    ptv_workers: Sequence[int],
    cores: int | None = None,
    fastvid_workers: Sequence[int | None] = (None,),
    fastvid_vp9_decoders: Sequence[str] = ("dali",),
    ptv_work: Workload | None = None,
) -> list[RowJob]:
    """The rows to run for one workload, in run order (see :data:`ROW_NAMES`).

    Args:
        work: The workload (dataset and clip sampler).
        rows: Row names to include. Default: all.
        ptv_workers: PyTorchVideo DataLoader worker counts to measure.
        cores: CPU cores for the multi-worker configs. Default: ``os.cpu_count()``.
        fastvid_workers: ``ClipLoader(num_workers=...)`` values, one fastvid config each.
            Default: ``(None,)``, fastvid's default.
        fastvid_vp9_decoders: ``cpu_decoder`` values for VP8/VP9/MJPEG (H.264 and other codecs
            always use ``"pyav"``). Default: ``("dali",)``.
        ptv_work: PyTorchVideo's workload, when it loads fewer clips (it is ~5x slower): the
            first videos of ``work``. Default: ``None``, ``work``.
    """
    cores = cores or os.cpu_count() or 1
    no_cuda = cuda_reason()
    jobs: list[RowJob] = []
    wanted = set(rows)
    if "pytorchvideo" in wanted:
        ptv = ptv_work or work
        for n in ptv_workers:
            jobs.append(
                RowJob(
                    "pytorchvideo",
                    "cpu",
                    f"num_workers={n}",
                    "PyTorchVideo LabeledVideoDataset + PyAV + DataLoader",
                    partial(pytorchvideo_batches, ptv, num_workers=n),
                    {"num_workers": n},
                    work=ptv,
                )
            )
    if "torchcodec" in wanted:
        reason = _available("torchcodec.decoders")
        for workers, threads in ((0, 0), (cores, 1)):
            jobs.append(
                RowJob(
                    "torchcodec",
                    "cpu",
                    f"num_workers={workers},ffmpeg_threads={threads or 'auto'}",
                    "torchcodec VideoDecoder.get_frames_at(8 planned frames) + torch transforms",
                    partial(
                        decoded_clip_batches,
                        work,
                        TorchcodecClips(device="cpu", threads=threads),
                        num_workers=workers,
                        row="torchcodec",
                    ),
                    {"num_workers": workers, "num_ffmpeg_threads": threads},
                    reason,
                )
            )
        jobs.append(
            RowJob(
                "torchcodec",
                "gpu",
                "cuda,num_workers=0",
                "torchcodec VideoDecoder(device='cuda').get_frames_at + torch transforms on GPU",
                lambda: decoded_clip_batches(
                    work,
                    TorchcodecClips(device="cuda", threads=0),
                    num_workers=0,
                    row="torchcodec",
                    device="cuda",
                ),
                {"num_workers": 0},
                reason or no_cuda,
            )
        )
    if "decord" in wanted:
        reason = _available("decord")
        for workers, threads in ((0, 0), (cores, 1)):
            jobs.append(
                RowJob(
                    "decord",
                    "cpu",
                    f"num_workers={workers},threads={threads or 'auto'}",
                    "decord VideoReader.get_batch(8 planned frames) + torch transforms",
                    partial(
                        decoded_clip_batches,
                        work,
                        DecordClips(threads=threads),
                        num_workers=workers,
                        row="decord",
                    ),
                    {"num_workers": workers, "threads": threads},
                    reason,
                )
            )
    if "ceiling" in wanted:
        jobs.append(
            RowJob(
                "ceiling",
                "cpu",
                "pyav,threads=auto",
                "decode-only: PyAV frame-selective decode of the planned frames to RGB, 1 process",
                lambda: _ceiling_in_process(work, threads=0),
                {"threads": 0},
            )
        )
        jobs.append(
            RowJob(
                "ceiling",
                "cpu",
                f"pyav,processes={cores}",
                f"decode-only: PyAV frame-selective decode, {cores} single-threaded processes",
                lambda: _ceiling_processes(work, processes=cores),
                {"processes": cores},
            )
        )
        if work.codec in ("vp8", "vp9", "mjpeg"):
            jobs.append(
                RowJob(
                    "ceiling",
                    "cpu",
                    "dali-cpu",
                    "decode-only: DALI CPU fn.decoders.video(frames=planned)",
                    lambda: _dali_decode_only(work, device="cpu"),
                    {},
                )
            )
        jobs.append(
            RowJob(
                "ceiling",
                "gpu",
                "dali-nvdec",
                "decode-only: DALI fn.decoders.video(device='mixed', frames=planned) on NVDEC",
                lambda: _dali_decode_only(work, device="gpu"),
                {},
                no_cuda,
            )
        )
    if "fastvid" in wanted:
        decoders = _fastvid_cpu_decoders(work.codec, fastvid_vp9_decoders)
        for count in fastvid_workers:
            suffix = "" if count is None else f",num_workers={count}"
            for cpu_decoder in decoders:
                jobs.append(
                    RowJob(
                        "fastvid",
                        "cpu",
                        f"cpu_decoder={cpu_decoder}{suffix}",
                        f"fastvid ClipLoader(device='cpu', cpu_decoder='{cpu_decoder}')",
                        partial(
                            fastvid_batches,
                            work,
                            device="cpu",
                            cpu_decoder=cpu_decoder,
                            num_workers=count,
                            report=(report := {"cpu_decoder": cpu_decoder, "num_workers": count}),
                        ),
                        report,
                    )
                )
            jobs.append(
                RowJob(
                    "fastvid",
                    "gpu",
                    f"nvdec{suffix}",
                    "fastvid ClipLoader(device='gpu'): NVDEC decode + DALI GPU transforms",
                    partial(
                        fastvid_batches,
                        work,
                        device="gpu",
                        num_workers=count,
                        report=(gpu_report := {"num_workers": count}),
                    ),
                    gpu_report,
                    no_cuda,
                )
            )
    return jobs


def run_job(job: RowJob, work: Workload) -> RowResult:
    """Run one job, catching failures into the result (a failed row never stops the suite)."""
    target = job.work or work
    result = RowResult(
        work.name,
        job.row,
        job.device,
        job.config,
        sampler=work.sampler,
        gop=work.gop,
        description=job.description,
        params=dict(job.params),
    )
    if job.skip_reason:
        result.status, result.reason = "skipped", job.skip_reason
        return result
    if job.device == "gpu":
        torch.cuda.empty_cache()  # memory cached by earlier rows would hide this row's peak
    batches = job.run()
    try:
        measure(batches, result, frames_per_clip=SEED_CONFIG["num_frames"], gpu=job.device == "gpu")
    except Exception as exc:
        result.status = "failed"
        result.reason = f"{type(exc).__name__}: {str(exc).strip()[:500]}"
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # a failed row shuts its loader and workers down before the next row
        gc.collect()
        result.params = dict(job.params)  # a row may add what it measured (fastvid's engine)
    if result.status == "ok" and result.clips != target.num_clips:
        result.status = "failed"
        result.reason = f"produced {result.clips} clips, the plan has {target.num_clips}"
    return result
