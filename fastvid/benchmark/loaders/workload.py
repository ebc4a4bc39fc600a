"""What every row loads: a clip config and a workload of planned clips.

Every row reads the SAME files and produces the SAME clips: a workload (:func:`make_workload`) is a
clip sampler (``uniform``, ``random`` or ``constant_clips_per_video``) over the videos in order,
planned once by fastvid's planner (:meth:`fastvid.reader.loader.clip_loader.ClipLoader.plan`), which
names the frames of each clip; the rows that decode frames themselves (torchcodec, decord, SPDL, the
source tree's ceilings) decode exactly those frames, PyTorchVideo and fastvid sample the same clips.
A workload covers whole videos from the start of its list, at most ``max_clips`` clips. Each row
hands over batches of float32 ``(B, C, T, H, W)`` clips.

What a clip is and how it is augmented is a :class:`ClipConfig`: the seed config
(:data:`SEED`: Flash's video classification defaults minus normalisation, 2 s uniform clips, 8
frames, short side 256-320, crop 244, flip 0.5) unless ``fastvid bench PATH`` is given another.
Also here: its transforms as PyTorchVideo users write them, and the fastvid ``ClipLoader`` that
plans the clips (and that the fastvid rows time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import fastvid  # noqa: F401  (first: makes pytorchvideo.transforms importable on new torchvision)

__all__ = [
    "CLIPS_PER_VIDEO",
    "SAMPLER_NAMES",
    "SEED",
    "SEED_CONFIG",
    "ClipConfig",
    "Workload",
    "fastvid_loader",
    "make_workload",
    "sampler_args",
    "seed_sample_transform",
    "seed_video_transform",
]

# The clip samplers a workload can use: the seed's ``uniform``, ``random`` (one random clip per
# video per epoch: what training uses) and ``constant_clips_per_video`` (``clips_per_video``
# evenly spaced clips per video).
SAMPLER_NAMES = ("uniform", "random", "constant_clips_per_video")
CLIPS_PER_VIDEO = 4


@dataclass(frozen=True)
class ClipConfig:
    """What a clip is and how every row augments it (PyTorchVideo's transforms, in order:
    ``UniformTemporalSubsample(num_frames)``, ``RandomShortSideScale(*short_side)``,
    ``RandomCrop(crop)``, ``RandomHorizontalFlip(flip_p)``).

    Attributes:
        clip_sampler: One of :data:`SAMPLER_NAMES`. Default: ``"uniform"``.
        clip_duration: Seconds per clip. Default: 2.0.
        clips_per_video: Clips per video of ``constant_clips_per_video``. Default: 4.
        num_frames: Frames per clip (temporal subsample). Default: 8.
        short_side: The random short side's range ``(low, high)``, pixels. Default: (256, 320).
        crop: Side of the square random crop, pixels (at most ``short_side[0]``). Default: 244.
        flip_p: Probability of a horizontal flip. Default: 0.5.
    """

    clip_sampler: str = "uniform"
    clip_duration: float = 2.0
    clips_per_video: int = CLIPS_PER_VIDEO
    num_frames: int = 8
    short_side: tuple[int, int] = (256, 320)
    crop: int = 244
    flip_p: float = 0.5

    def __post_init__(self) -> None:
        if self.clip_sampler not in SAMPLER_NAMES:
            raise ValueError(
                f"clip_sampler ({self.clip_sampler!r}) must be one of {list(SAMPLER_NAMES)}"
            )
        low, high = self.short_side
        for name, value in (
            ("clip_duration", self.clip_duration),
            ("clips_per_video", self.clips_per_video),
            ("num_frames", self.num_frames),
            ("crop", self.crop),
        ):
            if not value > 0:
                raise ValueError(f"{name} ({value}) must be > 0")
        if not 0 < low <= high:
            raise ValueError(f"short_side ({low}, {high}) must be 0 < low <= high")
        if self.crop > low:
            raise ValueError(
                f"crop ({self.crop}) must be <= the short side's low end ({low}): a random "
                "crop cannot be larger than the scaled frame"
            )
        if not 0.0 <= self.flip_p <= 1.0:
            raise ValueError(f"flip_p ({self.flip_p}) must be in [0, 1]")

    def sampler_args(self) -> tuple[Any, ...]:
        """Positional arguments of ``make_clip_sampler(self.clip_sampler, ...)``."""
        if self.clip_sampler == "constant_clips_per_video":
            return (self.clip_duration, self.clips_per_video)
        return (self.clip_duration,)

    def as_dict(self) -> dict[str, Any]:
        """The config as plain values (JSON-ready)."""
        return {**asdict(self), "short_side": list(self.short_side)}

    def video_transform(self, *, subsample: bool = True) -> Any:
        """The video transform, as PyTorchVideo users write it.

        Args:
            subsample: Start with ``UniformTemporalSubsample(num_frames)`` (off for rows that
                decode only the planned frames already). Default: ``True``.
        """
        from pytorchvideo.transforms import RandomShortSideScale, UniformTemporalSubsample
        from torchvision.transforms import Compose, RandomCrop, RandomHorizontalFlip

        low, high = self.short_side
        steps: list[Any] = [UniformTemporalSubsample(self.num_frames)] if subsample else []
        steps += [
            RandomShortSideScale(min_size=low, max_size=high),
            RandomCrop(self.crop),
            RandomHorizontalFlip(p=self.flip_p),
        ]
        return Compose(steps)

    def sample_transform(self) -> Any:
        """``ApplyTransformToKey("video", self.video_transform())`` (for sample dicts)."""
        from pytorchvideo.transforms import ApplyTransformToKey

        return ApplyTransformToKey("video", self.video_transform())


SEED = ClipConfig()
"""The seed config (Flash's video classification defaults, minus normalisation)."""

# The seed config as a dict, for reports (with the video order every row uses).
SEED_CONFIG: dict[str, Any] = {**SEED.as_dict(), "video_sampler": "SequentialSampler"}


def sampler_args(name: str) -> tuple[Any, ...]:
    """Positional arguments of ``make_clip_sampler(name, ...)`` with the seed's clips."""
    return replace(SEED, clip_sampler=name).sampler_args()


def seed_video_transform(*, subsample: bool = True) -> Any:
    """The seed config's video transform (:meth:`ClipConfig.video_transform`)."""
    return SEED.video_transform(subsample=subsample)


def seed_sample_transform() -> Any:
    """The seed config's sample transform (:meth:`ClipConfig.sample_transform`)."""
    return SEED.sample_transform()


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
        config: What a clip is and how rows augment it (its ``clip_sampler`` is the
            workload's). Default: :data:`SEED`.
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
    config: ClipConfig = field(default=SEED)
    epoch: int = 1
    gop: int | None = None
    dataset_videos: int = 0
    epoch_clips: int = 0

    def __post_init__(self) -> None:
        self.dataset_videos = self.dataset_videos or len(self.pairs)
        self.epoch_clips = self.epoch_clips or len(self.plan)

    @property
    def sampler(self) -> str:
        """The clip sampler's name (:data:`SAMPLER_NAMES`)."""
        return self.config.clip_sampler

    @property
    def frames_per_clip(self) -> int:
        """Frames of each clip a row returns."""
        return self.config.num_frames

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
            config=self.config,
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
    sampler: str | None = None,
    config: ClipConfig | None = None,
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
        sampler: Clip sampler name (:data:`SAMPLER_NAMES`), in place of ``config``'s.
            Default: ``None``, ``config``'s.
        config: What a clip is and how rows augment it. Default: ``None``, :data:`SEED`.
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
    config = config or SEED
    if sampler is not None:
        config = replace(config, clip_sampler=sampler)

    def plan_of(videos: list[tuple[str, int]]) -> list[Any]:
        loader = fastvid_loader(
            videos,
            index=index,
            batch_size=batch_size,
            device="cpu",
            cpu_decoder="pyav",
            num_workers=None,
            config=config,
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
        config,
        epoch,
        gop,
        total_videos,
        full,
    )


def fastvid_loader(
    pairs: list[tuple[str, int]],
    *,
    index: Any,
    batch_size: int,
    device: str,
    cpu_decoder: str,
    num_workers: int | None,
    config: ClipConfig = SEED,
    video_sampler: Any = None,
    memory_format: str = "contiguous_format",
) -> Any:
    """fastvid's ``ClipLoader`` over ``pairs`` with ``config``'s clips and transforms (videos
    in order unless ``video_sampler``; a bad file raises: a benchmark row fails, never skips;
    ``memory_format``: the loader's, by name)."""
    from torch.utils.data import SequentialSampler

    from fastvid.data.samplers import make_clip_sampler
    from fastvid.reader.loader.clip_loader import ClipLoader

    return ClipLoader(
        pairs,
        clip_sampler=make_clip_sampler(config.clip_sampler, *config.sampler_args()),
        transform=config.sample_transform(),
        batch_size=batch_size,
        video_sampler=video_sampler or SequentialSampler,
        device=device,
        cpu_decoder=cpu_decoder,  # type: ignore[arg-type]
        num_workers=num_workers,
        index=index,
        on_error="raise",
        progress=False,
        memory_format=memory_format,
    )
