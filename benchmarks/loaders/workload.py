"""What every row loads: the seed config and a workload of planned clips.

Every row reads the SAME files and produces the SAME clips: a workload (:func:`make_workload`)
is a clip sampler (``uniform``, ``random`` or ``constant_clips_per_video``, 2 s clips) over the
videos in order, planned once by fastvid's planner (:meth:`fastvid.reader.loader.ClipLoader.plan`),
which names the 8 frames of each clip; the rows that decode frames themselves (torchcodec,
decord, the ceiling) decode exactly those frames, PyTorchVideo and fastvid sample the same
clips. A workload covers whole videos from the start of the dataset, at most ``max_clips``
clips. Each row hands over batches of float32 ``(B, C, T, H, W)`` clips (the ceiling: decoded
uint8 frames, untransformed).

Also here: the seed config's transforms (as Flash users wrote them) and the seed-configured
fastvid ``ClipLoader`` that plans the clips (and that the fastvid rows time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import fastvid  # noqa: F401  (first: makes pytorchvideo.transforms importable on new torchvision)

__all__ = [
    "CLIPS_PER_VIDEO",
    "SAMPLER_NAMES",
    "SEED_CONFIG",
    "Workload",
    "make_workload",
    "sampler_args",
    "seed_sample_transform",
    "seed_video_transform",
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
