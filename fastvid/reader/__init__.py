"""The clip reader: epoch plans in, decoded and augmented batches out.

``from fastvid.reader import ClipLoader`` is the entry point; the modules, in the order data flows
through them: :mod:`~fastvid.reader.planning.frames` (clip seconds to frames),
:mod:`~fastvid.reader.planning.epoch` (the epoch's clips), :mod:`~fastvid.reader.decoding.routing`
(which decoder per file), :mod:`~fastvid.reader.planning.schedule` (clips of a video grouped into
tasks), :mod:`~fastvid.reader.workers.pool` / :mod:`~fastvid.reader.workers.worker` (worker
processes decoding with :mod:`~fastvid.reader.decoding.pyav_source` or cutting GOP ranges with
:mod:`~fastvid.reader.decoding.gop`, into :mod:`~fastvid.reader.workers.shm`),
:mod:`~fastvid.reader.dali` (the DALI graph), and :mod:`~fastvid.reader.loader.epoch_run` /
:mod:`~fastvid.reader.loader.clip_loader` (batches in order). Importing this package imports nothing
heavy; worker processes import only PyAV and NumPy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastvid.reader.errors import (
        SkippedClip,
        VideoDecodeError,
        WorkerDiedError,
        WorkerTaskError,
    )
    from fastvid.reader.loader.clip_loader import ClipLoader

__all__ = ["ClipLoader", "SkippedClip", "VideoDecodeError", "WorkerDiedError", "WorkerTaskError"]


def __getattr__(name: str) -> Any:
    if name == "ClipLoader":
        from fastvid.reader.loader.clip_loader import ClipLoader

        return ClipLoader
    if name in ("SkippedClip", "VideoDecodeError", "WorkerDiedError", "WorkerTaskError"):
        from fastvid.reader import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'fastvid.reader' has no attribute {name!r}")
