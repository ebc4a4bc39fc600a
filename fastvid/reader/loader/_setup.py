"""A loader's one-time set-up: index its videos, route each to a decoder, describe each for
the engine.

:func:`set_up` (what :meth:`ClipLoader.setup <fastvid.reader.loader.clip_loader.ClipLoader.setup>`
runs) calls these in order: :func:`build_index` (the index from
:mod:`fastvid.reader.loader._index_source`; videos that could not be indexed are handed to
``skip``), :func:`planned_videos` (what the epoch planner sees of each video: columns of the index),
:func:`route_indexed` (:func:`route` once per video format: NVDEC on the GPU, proved at start-up;
DALI's CPU decoder or PyAV on the CPU), an :class:`~fastvid.reader.loader._videos.IndexedSources`
(what the engine sees of each video, made when read), and picks the worker and thread counts
(:func:`fastvid.reader.workers.budget.choose_budget`). Nothing here makes an object per video: a
million videos set up in about a second.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from fastvid.data.storage import Storage, normalize
from fastvid.errors import VideoErrorKind
from fastvid.reader.decoding.routing import Decoder, Routing, route_videos
from fastvid.reader.loader._options import CpuDecoder
from fastvid.reader.loader._videos import IndexedSources, IndexedVideos, SameForAll
from fastvid.reader.workers.budget import Budget, choose_budget

if TYPE_CHECKING:
    from fastvid.data.index import VideoIndex

__all__ = [
    "ROUTES",
    "LoaderSetUp",
    "build_index",
    "planned_videos",
    "route",
    "route_indexed",
    "set_up",
]

logger = logging.getLogger("fastvid.reader.loader")  # the routing summary: the loader's logger

ROUTES: dict[str, Literal["cut", "pyav"]] = {"nvdec": "cut", "dali_cpu": "cut", "pyav": "pyav"}
"""Decoder -> what a worker does for it: cut GOP ranges (DALI decodes) or decode with PyAV."""


def build_index(
    pairs: Sequence[tuple[str, int]],
    index: Any,
    *,
    cache_dir: str | os.PathLike[str] | None,
    progress: bool,
    skip: Callable[[str, str, VideoErrorKind], None],
    fingerprint: bool = False,
    storage: Storage | None = None,
    world_size: int = 1,
    paths: list[str] | None = None,
) -> tuple[VideoIndex, np.ndarray]:
    """The index of ``pairs``' videos (:func:`~fastvid.reader.loader._index_source.find_index`:
    ``index`` if given, else one beside the data, else built here, once per node under DDP)
    and the row of each video in it (-1: not indexed).

    Args:
        pairs: ``(path, label)`` pairs.
        index: A prebuilt :class:`~fastvid.data.index.VideoIndex`, an index file, or ``None``.
        cache_dir: Metadata index cache folder (when built here).
        progress: Show a progress bar while indexing.
        skip: Called with ``(path, reason, kind)`` for each video that could not be indexed, in
            path order (may raise).
        fingerprint: Key the index cache on a head-and-tail hash of each file too (when built
            here; see ``VideoIndex.build``).
        storage: How URLs are read. Default: ``None``, local defaults.
        world_size: Number of ranks (under DDP one rank per node builds a missing index).
        paths: ``pairs``' paths, if made already.

    Returns:
        The index and the rows.
    """
    from fastvid.reader.loader._index_source import find_index

    paths = list(map(itemgetter(0), pairs)) if paths is None else paths
    index = find_index(
        paths,
        index,
        cache_dir=cache_dir,
        progress=progress,
        fingerprint=fingerprint,
        storage=storage,
        world_size=world_size,
    )
    rows = index.rows_of(paths)  # one buffer comparison when the index was built from them
    if (rows < 0).any():
        rows = index.rows_of([normalize(path) for path in paths])
    failed: dict[str, tuple[str, VideoErrorKind]] = {}
    for position in np.flatnonzero(rows < 0).tolist():
        path = normalize(paths[position])
        error = index.failures.get(path)
        if error is not None:
            failed[path] = (error.reason, error.kind)
        elif index.file is not None:
            reason = f"it is not in the index file {index.file}; run `fastvid index` again"
            failed[path] = (reason, "not_indexed")
        else:
            reason = "it is not in the index passed as index=; index every video"
            failed[path] = (reason, "not_indexed")
    for path, (reason, kind) in sorted(failed.items()):
        skip(path, reason, kind)
    return index, rows


def planned_videos(
    pairs: Sequence[tuple[str, int]],
    annotations: Sequence[dict[str, Any]] | None,
    index: VideoIndex,
    rows: np.ndarray,
    *,
    decode_audio: bool = False,
    paths: list[str] | None = None,
) -> IndexedVideos:
    """Each video as the epoch planner sees it: columns of the index, a
    :class:`PlannedVideo` per video when read (videos not indexed have no duration and
    yield no clips). With ``decode_audio``, clips are planned on PyTorchVideo's duration with
    audio (``VideoMeta.duration_with_audio``: the longer of the video and audio streams).
    """
    paths = list(map(itemgetter(0), pairs)) if paths is None else paths
    labels = list(map(itemgetter(1), pairs))
    return IndexedVideos(
        paths,
        labels,
        annotations,
        index,
        rows,
        decode_audio=decode_audio,
    )


def route(
    metas: Mapping[str, Any],
    *,
    device: str,
    device_choice: str,
    cpu_decoder: CpuDecoder,
) -> Routing:
    """Which decoder each video goes to.

    Args:
        metas: Index entry per path.
        device: The resolved device, ``"gpu"`` or ``"cpu"``.
        device_choice: The device the user asked for (``"gpu"``/``"cuda"`` requires NVDEC to
            decode at least one video).
        cpu_decoder: On the CPU, ``"dali"`` prefers DALI's CPU decoder; otherwise PyAV.

    Returns:
        The :class:`~fastvid.reader.decoding.routing.Routing`.

    Raises:
        RuntimeError: ``device="gpu"`` was asked for and NVDEC can decode none of the videos.
    """
    if device == "gpu":
        from fastvid.reader.decoding.nvdec import nvdec_routing

        routing = nvdec_routing(metas, device_id=torch.cuda.current_device())
        if device_choice in ("gpu", "cuda") and "nvdec" not in routing.decoders.values():
            raise RuntimeError(
                "device='gpu' but no video can be decoded on this GPU: "
                + routing.summary().removeprefix("fastvid: ")
                + ". Use device='auto' to decode them with PyAV on the CPU instead"
            )
        return routing
    preferred: Decoder = "dali_cpu" if cpu_decoder == "dali" else "pyav"
    return route_videos(metas, preferred=preferred)


def route_indexed(
    videos: IndexedVideos, *, device: str, device_choice: str, cpu_decoder: CpuDecoder
) -> Routing:
    """:func:`route` of every indexed video, decided once per format (codec, pixel format,
    size: what the capability tables read) on one video of it, then given to all; on the CPU
    without ``cpu_decoder="dali"``, PyAV takes every file: no format is read."""
    paths = videos.paths
    if device == "cpu" and cpu_decoder != "dali":
        return Routing(SameForAll(_indexed(videos), "pyav"), {}, "pyav")
    positions, classes, firsts = videos.format_classes()
    representatives = {videos.paths[i]: videos.meta(i) for i in firsts.tolist()}
    chosen = route(
        representatives, device=device, device_choice=device_choice, cpu_decoder=cpu_decoder
    )
    decoder = [chosen.decoders[videos.paths[i]] for i in firsts.tolist()]
    reason = [chosen.reasons.get(videos.paths[i]) for i in firsts.tolist()]
    if len(firsts) == 1:  # one format (the common case): no loop per video
        everyone = _indexed(videos)
        same = SameForAll(everyone, decoder[0])
        reasons = {} if reason[0] is None else dict.fromkeys(everyone, reason[0])
        return Routing(same, reasons, chosen.preferred)
    decoders = {
        paths[i]: decoder[c] for i, c in zip(positions.tolist(), classes.tolist(), strict=True)
    }
    reasons = {
        paths[i]: reason[c]
        for i, c in zip(positions.tolist(), classes.tolist(), strict=True)
        if reason[c] is not None
    }
    return Routing(decoders, reasons, chosen.preferred)


def _indexed(videos: IndexedVideos) -> Sequence[str]:
    """The paths of the indexed videos (the list itself when every video is indexed)."""
    indexed = np.flatnonzero(videos.rows >= 0)
    paths = videos.paths
    return paths if len(indexed) == len(paths) else [paths[i] for i in indexed.tolist()]


@dataclass(frozen=True)
class LoaderSetUp:
    """What a loader's one-time set-up found: its videos as the planner and the engine see
    them, the decoder of each, and its worker / thread counts."""

    planned: IndexedVideos
    routing: Routing
    budget: Budget
    sources: IndexedSources


def set_up(
    pairs: Sequence[tuple[str, int]],
    annotations: Sequence[dict[str, Any]] | None,
    index: Any,
    *,
    cache_dir: str | os.PathLike[str] | None,
    progress: bool,
    skip: Callable[[str, str, VideoErrorKind], None],
    fingerprint: bool,
    decode_audio: bool,
    storage: Storage | None,
    device: Literal["gpu", "cpu"],
    device_choice: str,
    cpu_decoder: CpuDecoder,
    requested: tuple[int | None, int | None, int | None, int | None],
    batch_size: int,
    world_size: int = 1,
) -> LoaderSetUp:
    """Index the videos (:func:`build_index`), plan (:func:`planned_videos`) and route
    (:func:`route`) them, say the routing once (a warning when, on the GPU, files could not
    have the decoder asked for), and pick the worker / thread counts for ``requested``
    (``(num_workers, num_threads, decoder_threads, prefetch_batches)``, ``None``: chosen)."""
    paths = list(map(itemgetter(0), pairs))  # once: a million of them
    built, rows = build_index(
        pairs,
        index,
        cache_dir=cache_dir,
        progress=progress,
        skip=skip,
        fingerprint=fingerprint,
        storage=storage,
        world_size=world_size,
        paths=paths,
    )
    planned = planned_videos(
        pairs, annotations, built, rows, decode_audio=decode_audio, paths=paths
    )
    routing = route_indexed(
        planned, device=device, device_choice=device_choice, cpu_decoder=cpu_decoder
    )
    # said once per loader; louder when files could not have the decoder asked for
    log = logger.warning if routing.reasons and device == "gpu" else logger.info
    log(routing.summary())
    budget = choose_budget(device, planned, routing, requested=requested, batch_size=batch_size)
    return LoaderSetUp(planned, routing, budget, IndexedSources(planned, routing, ROUTES))
