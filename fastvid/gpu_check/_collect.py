"""One loader's epoch 0, clip by clip: the loader both devices use, and a record per clip.

Each delivered clip is recorded with its identity (``video_name``, ``video_index``,
``clip_index``, ``aug_index``, ``label``), shape and device; on stamps runs its frame indices
are read back (after flipping it back if it came back mirrored), and on the reference side the
clip itself is kept as float16 on the CPU.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from fastvid.gpu_check._runs import CompareRun

__all__ = ["SEED", "TASK_TIMEOUT_S", "ClipRecord", "collect", "make_loader", "read_stamps"]

SEED = 11
TASK_TIMEOUT_S = 120.0  # a stuck worker fails its clips (and is replaced) instead of hanging


@dataclass
class ClipRecord:
    """One delivered clip.

    Attributes:
        identity: ``(video_name, video_index, clip_index, aug_index, label)``.
        path: The file.
        shape: ``(C, T, H, W)``.
        device: Where the batch tensor was.
        stamps: The frame indices read back (``None``: not a stamps run, or unreadable).
        flipped: Whether the clip came back mirrored (stamps runs).
        video: The clip as float16 on the CPU (reference side only).
    """

    identity: tuple[Any, ...]
    path: str
    shape: tuple[int, ...]
    device: str
    stamps: list[int] | None = None
    flipped: bool | None = None
    video: torch.Tensor | None = None


def make_loader(
    paths: Sequence[Path],
    run: CompareRun,
    *,
    device: str,
    index: Any,
    num_workers: int | None = None,
    seed: int = SEED,
) -> Any:
    """The loader both devices use (the CPU one with ``cpu_decoder="pyav"``)."""
    from torch.utils.data import SequentialSampler

    from fastvid.data.samplers import make_clip_sampler
    from fastvid.reader import ClipLoader

    return ClipLoader(
        [(os.fspath(p), i) for i, p in enumerate(paths)],
        clip_sampler=make_clip_sampler("uniform", run.clip_duration),
        transform=run.transform(),
        batch_size=run.batch_size,
        video_sampler=SequentialSampler,
        device=device,
        cpu_decoder="pyav",
        scale_in_decoder=run.scale_in_decoder,
        num_workers=num_workers,
        seed=seed,
        index=index,
        progress=False,
        task_timeout=TASK_TIMEOUT_S,
    )


def read_stamps(
    clip: torch.Tensor, size: tuple[int, int], canvas: tuple[int, int] | None
) -> tuple[list[int] | None, bool | None]:
    """Frame indices of a ``(C, T, H, W)`` clip of a ``size`` = ``(w, h)`` video, and whether
    it came back mirrored; ``(None, None)`` if neither orientation reads."""
    from fastvid.testing import read_frame_index

    width, height = size
    out_h, out_w = clip.shape[-2:]
    top = (out_h - height) // 2 if canvas is not None and out_h > height else 0
    left = (out_w - width) // 2 if canvas is not None and out_w > width else 0
    h, w = min(height, out_h), min(width, out_w)
    frames = clip.detach().to("cpu", torch.float32)
    for flipped in (False, True):
        view = frames.flip(-1) if flipped else frames
        try:
            stamps = [
                read_frame_index(view[:, t, top : top + h, left : left + w], layout="CHW")
                for t in range(view.shape[1])
            ]
        except ValueError:
            continue
        return stamps, flipped
    return None, None


def _clips_of(batch: dict[str, Any]) -> list[torch.Tensor]:
    video = batch["video"]
    return list(video.unbind(0)) if torch.is_tensor(video) else list(video)


def collect(
    loader: Any,
    paths: Sequence[Path],
    run: CompareRun,
    sizes: dict[str, tuple[int, int]],
    *,
    keep_video: bool,
    on_clip: Callable[[ClipRecord, torch.Tensor], None] | None = None,
) -> tuple[list[ClipRecord], float, float]:
    """Iterate epoch 0; returns the clips, the first batch's and the whole epoch's seconds.

    Args:
        keep_video: Keep each clip as float16 on the CPU (the reference side).
        on_clip: Called with each record and its clip as delivered (the compared side).
    """
    records: list[ClipRecord] = []
    loader.set_epoch(0)
    started = time.perf_counter()
    first_batch = 0.0
    for batch in loader:
        if not first_batch:
            first_batch = time.perf_counter() - started
        if not batch:
            continue
        for j, clip in enumerate(_clips_of(batch)):
            video_index = int(batch["video_index"][j])
            path = os.fspath(paths[video_index])
            identity = (
                batch["video_name"][j],
                video_index,
                int(batch["clip_index"][j]),
                int(batch["aug_index"][j]),
                int(batch["label"][j]),
            )
            record = ClipRecord(identity, path, tuple(clip.shape), clip.device.type)
            if run.stamps:
                record.stamps, record.flipped = read_stamps(clip, sizes[path], run.canvas)
            if keep_video:
                record.video = clip.detach().to("cpu", torch.float16)
            if on_clip is not None:
                on_clip(record, clip)
            records.append(record)
    return records, first_batch, time.perf_counter() - started
