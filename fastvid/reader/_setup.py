"""A loader's one-time set-up: index its videos, route each to a decoder, describe each for
the engine.

:class:`~fastvid.reader.loader.ClipLoader.setup` calls these in order: :func:`build_index`
(videos that could not be indexed are handed to ``skip``), :func:`planned_videos` (what the
epoch planner sees of each video), :func:`route` (NVDEC on the GPU, proved at start-up; DALI's
CPU decoder or PyAV on the CPU) and :func:`video_sources` (what the engine sees of each video).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import torch

from fastvid.data.storage import Storage, normalize
from fastvid.reader._inputs import NO_FRAMES, CpuDecoder
from fastvid.reader._run_types import VideoSource
from fastvid.reader.epoch import PlannedVideo
from fastvid.reader.routing import Decoder, Routing, route_videos

if TYPE_CHECKING:
    from fastvid.data.index import VideoIndex

__all__ = ["ROUTES", "build_index", "planned_videos", "route", "video_sources"]

ROUTES: dict[str, Literal["cut", "pyav"]] = {"nvdec": "cut", "dali_cpu": "cut", "pyav": "pyav"}
"""Decoder -> what a worker does for it: cut GOP ranges (DALI decodes) or decode with PyAV."""


def build_index(
    pairs: Sequence[tuple[str, int]],
    index: Any,
    *,
    cache_dir: str | os.PathLike[str] | None,
    progress: bool,
    skip: Callable[[str, str], None],
    storage: Storage | None = None,
) -> VideoIndex:
    """The index of ``pairs``' videos: ``index`` if given, else built here.

    Args:
        pairs: ``(path, label)`` pairs.
        index: A prebuilt :class:`~fastvid.data.index.VideoIndex`, or ``None``.
        cache_dir: Metadata index cache folder (when built here).
        progress: Show a progress bar while indexing.
        skip: Called with ``(path, reason)`` for each video that could not be indexed, in path
            order (may raise).
        storage: How URLs are read. Default: ``None``, local defaults.

    Returns:
        The index.
    """
    from fastvid.data.index import VideoIndex

    paths = [p for p, _ in pairs]
    index = index or VideoIndex.build(
        paths, cache_dir=cache_dir, progress=progress, storage_options=storage
    )
    mine = {normalize(path) for path in paths}  # a shared index= holds other files
    failed = {path: reason for path, reason in index.errors.items() if path in mine}
    for path in mine.difference(failed):
        if path not in index:
            failed[path] = "it is not in the index passed as index=; index every video"
    for path, reason in sorted(failed.items()):
        skip(path, reason)
    return index


def planned_videos(
    pairs: Sequence[tuple[str, int]],
    annotations: Sequence[dict[str, Any]] | None,
    index: VideoIndex,
) -> tuple[list[PlannedVideo], dict[str, Any]]:
    """Each video as the epoch planner sees it, and the index entry of each indexed path.

    Videos that are not in ``index`` are planned with no frames (they yield no clips).
    """
    planned: list[PlannedVideo] = []
    metas: dict[str, Any] = {}
    for position, (path, label) in enumerate(pairs):
        meta = index.meta(path) if path in index else None
        extra = tuple((annotations[position] if annotations else {}).items())
        if meta is None:
            planned.append(PlannedVideo(path, label, None, NO_FRAMES, extra))
            continue
        planned.append(PlannedVideo(path, label, meta.duration, meta, extra))
        metas[path] = meta
    return planned, metas


def route(
    metas: dict[str, Any],
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
        The :class:`~fastvid.reader.routing.Routing`.

    Raises:
        RuntimeError: ``device="gpu"`` was asked for and NVDEC can decode none of the videos.
    """
    if device == "gpu":
        from fastvid.reader.nvdec import nvdec_routing

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


def video_sources(
    planned: Sequence[PlannedVideo], metas: dict[str, Any], routing: Routing
) -> list[VideoSource | None]:
    """Per video index, what the engine needs of it (``None``: not indexed, never planned)."""
    return [
        VideoSource(v.path, v.timing, ROUTES[routing.decoders[v.path]]) if v.path in metas else None
        for v in planned
    ]
