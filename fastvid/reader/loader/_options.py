"""What a loader is given, checked and made uniform: options, video pairs, clip samplers, rank
and world size."""

from __future__ import annotations

import copy
import logging
import os
import random
from fractions import Fraction
from operator import itemgetter
from typing import Any, Literal

import numpy as np
import torch

from fastvid._validate import check_choice
from fastvid.data.samplers import as_clip_sampler
from fastvid.data.storage import Storage, as_storage
from fastvid.reader.transforms.lowering import LoweredTransform, lower_sample_transform

__all__ = [
    "CPU_DECODERS",
    "MEMORY_FORMATS",
    "NO_FRAMES",
    "ClipSamplerFactory",
    "CpuDecoder",
    "as_pairs",
    "check_loader_options",
    "check_memory_format",
    "distributed_rank_world",
    "loader_storage",
    "lowered_transform",
    "resolve_rank_world",
    "with_targets",
]

logger = logging.getLogger("fastvid.reader.loader")

CpuDecoder = Literal["auto", "dali", "pyav"]
CPU_DECODERS: tuple[str, ...] = ("pyav", "dali", "auto")
"""The ``cpu_decoder`` choices (Flash's and PyTorchVideo's ``decoder=`` too), PyAV first."""


def check_loader_options(
    batch_size: int,
    on_error: str,
    cpu_decoder: str,
    num_workers: int | None,
    prefetch_batches: int | None,
) -> None:
    """Raise ``ValueError`` naming the first bad ``ClipLoader`` option and its value."""
    if batch_size < 1:
        raise ValueError(f"batch_size ({batch_size}) must be >= 1")
    check_choice("on_error", on_error, ("skip", "raise"))
    check_choice("cpu_decoder", cpu_decoder, CPU_DECODERS)
    for name, value in (("num_workers", num_workers), ("prefetch_batches", prefetch_batches)):
        if value is not None and value < 1:
            raise ValueError(f"{name} ({value}) must be >= 1")


MEMORY_FORMATS = {"contiguous_format": False, "channels_last_3d": True}
"""The ``memory_format`` names a loader takes, and whether each lays batches out channels-last."""


def check_memory_format(memory_format: torch.memory_format | str) -> bool:
    """Whether ``memory_format`` (``torch.contiguous_format`` / ``torch.channels_last_3d``, or
    its name) lays batches out channels-last; ``ValueError`` for anything else."""
    name = str(memory_format).removeprefix("torch.")
    if name not in MEMORY_FORMATS:
        raise ValueError(
            f"memory_format ({memory_format!r}) must be torch.contiguous_format or "
            f"torch.channels_last_3d (or their names): batches are 5-D (B, C, T, H, W)"
        )
    return MEMORY_FORMATS[name]


def distributed_rank_world() -> tuple[int, int]:
    """This process's rank and the world size: from ``torch.distributed`` when its process group
    is initialised, else from ``RANK`` and ``WORLD_SIZE`` (torchrun's, Lightning's). Without
    ``RANK``, ``LOCAL_RANK`` stands for it only on a single node (``LOCAL_WORLD_SIZE`` equal to
    ``WORLD_SIZE``): on several nodes a local rank is not the global one. Anything else:
    ``(0, 1)``."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    env = os.environ
    world = int(env.get("WORLD_SIZE", "1"))
    if "RANK" in env:
        return int(env["RANK"]), world
    one_node = "WORLD_SIZE" in env and env.get("LOCAL_WORLD_SIZE") == env["WORLD_SIZE"]
    if "LOCAL_RANK" in env and one_node:
        return int(env["LOCAL_RANK"]), world
    return 0, 1


def resolve_rank_world(rank: int | None, world_size: int | None) -> tuple[int, int]:
    """The given rank and world size, each one not given taken from
    :func:`distributed_rank_world`."""
    default_rank, default_world = distributed_rank_world()
    return (
        default_rank if rank is None else rank,
        default_world if world_size is None else world_size,
    )


class ClipSamplerFactory:
    """A fresh copy of the user's clip sampler for each video (they are stateful)."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    def __call__(self) -> Any:
        sampler = as_clip_sampler(copy.deepcopy(self.spec))
        # The planner calls this with Python's RNG seeded per (seed, epoch, video): reseed an
        # explicit generator from it, or every video's copy would draw the same clips.
        generator = getattr(sampler, "_generator", None)
        if isinstance(generator, random.Random):
            generator.seed(random.getrandbits(63))
        elif isinstance(generator, torch.Generator):
            generator.manual_seed(random.getrandbits(63))
        return sampler


class _NoFrames:
    """Timing of a video that could not be indexed (it is never planned)."""

    pts = np.zeros(0, dtype=np.int64)
    keyframes = np.zeros(0, dtype=np.int32)
    time_base = Fraction(1, 1)
    start_pts = 0


NO_FRAMES = _NoFrames()


def as_pairs(videos: Any) -> list[tuple[str, int]]:
    """``(path, label)`` pairs from a LabeledVideoList or an iterable of pairs."""
    items = getattr(videos, "videos", videos)
    if (
        isinstance(items, list)
        and set(map(type, items)) == {tuple}  # C-level passes: a million pairs in ~0.1 s
        and set(map(len, items)) == {2}
        and set(map(type, map(itemgetter(0), items))) == {str}
        and set(map(type, map(itemgetter(1), items))) == {int}
    ):
        if not items:
            raise ValueError("no videos to load: the video list is empty")
        return list(items)  # already (path, label) pairs: a million of them in ~0.2 s
    pairs: list[tuple[str, int]] = []
    for item in items:
        if hasattr(item, "path") and hasattr(item, "label"):
            pairs.append((os.fspath(item.path), int(item.label)))
            continue
        path, label = item
        if isinstance(label, dict):
            label = label["label"]
        pairs.append((os.fspath(path), int(label)))
    if not pairs:
        raise ValueError("no videos to load: the video list is empty")
    return pairs


def with_targets(videos: Any, annotations: Any) -> list[dict[str, Any]] | None:
    """``annotations`` plus a ``"label"`` entry per video of a multi-label list.

    A :class:`~fastvid.data.layout.LabeledVideoList` whose videos carry multi-hot ``target``
    vectors gives each sample its vector as a float32 ``label`` (batches: ``(B, num_classes)``)
    in place of the integer label; a ``"label"`` the caller annotates wins.
    """
    given = list(annotations) if annotations is not None else None
    if not getattr(videos, "multi_label", False):
        return given
    items = list(videos.videos)
    extra = given if given is not None else [{} for _ in items]
    if len(extra) != len(items):
        raise ValueError(f"annotations has {len(extra)} entries for {len(items)} videos")
    return [
        {"label": torch.tensor(video.target, dtype=torch.float32), **dict(more)}
        for video, more in zip(items, extra, strict=True)
    ]


def lowered_transform(transform: Any) -> LoweredTransform:
    """``transform`` lowered (:func:`~fastvid.reader.transforms.lowering.lower_sample_transform`);
    says once (a warning) which of its parts run in torch on each decoded clip."""
    lowered = lower_sample_transform(transform)
    if lowered.residual_names:
        logger.warning(
            "fastvid: these transforms run in torch on each decoded clip (not lowered into "
            "DALI): %s",
            ", ".join(lowered.residual_names),
        )
    return lowered


def loader_storage(
    options: Any, cache_dir: str | os.PathLike[str] | None, cache_size: int | float | str | None
) -> Storage:
    """The loader's :class:`Storage`; the block cache lives in ``cache_dir/bytes``."""
    if cache_size is None:
        return as_storage(options)
    from fastvid.data.index import default_cache_dir

    folder = os.path.join(cache_dir, "bytes") if cache_dir else default_cache_dir().parent / "bytes"
    return as_storage(options, cache_dir=folder, cache_size=cache_size)
