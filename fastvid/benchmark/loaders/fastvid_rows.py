"""The fastvid rows: ``ClipLoader`` on the CPU or GPU, a warm-up epoch, then the planned one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch

from fastvid.benchmark.loaders.harness import (
    MEASURE,
    _batch_ids,
    _check_clips,
    _check_same_clips,
    _plan_ids,
    two_passes,
)
from fastvid.benchmark.loaders.workload import Workload, fastvid_loader

__all__ = ["WarmupThenSequential", "fastvid_batches"]


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
    memory_format: str = "contiguous_format",
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
    the graph, decoded frames per clip), the worker/thread budget and the decoder route of every
    file (``routes``: path → ``"nvdec"`` / ``"dali_cpu"`` / ``"pyav"``; ``route_reasons``: why a
    file did not get the preferred one). ``memory_format``: the loader's, by name.
    """
    warmup_videos = _videos_for_clips(work.plan, 2 * work.batch_size)
    loader = fastvid_loader(
        work.pairs,
        index=work.index,
        batch_size=work.batch_size,
        device=device,
        cpu_decoder=cpu_decoder,
        num_workers=num_workers,
        config=work.config,
        memory_format=memory_format,
        video_sampler=WarmupThenSequential(len(work.pairs), warmup_videos, work.epoch - 1),
    )
    expected = _plan_ids(work.plan)

    def one_epoch(epoch: int) -> Iterator[int]:
        loader.set_epoch(epoch)
        seen: list[tuple[int, int]] = []
        for batch in loader:
            ids = _batch_ids(batch)
            count = _check_clips(batch["video"], None, "fastvid", work.config)
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
            routing = loader.routing
            report.update(
                routes=dict(routing.decoders),
                route_reasons=dict(routing.reasons),
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
