"""The clip reader: epoch plans in, decoded and augmented batches out.

``from fastvid.reader import ClipLoader`` is the entry point; the modules, in the order data
flows through them: :mod:`~fastvid.reader.plan` (clip seconds to frames),
:mod:`~fastvid.reader.epoch` (the epoch's clips), :mod:`~fastvid.reader.routing` (which decoder
per file), :mod:`~fastvid.reader.schedule` (clips of a video grouped into tasks),
:mod:`~fastvid.reader.pool` / :mod:`~fastvid.reader.worker` (worker processes decoding with
:mod:`~fastvid.reader.pyav_source` or cutting GOP ranges with :mod:`~fastvid.reader.gop`, into
:mod:`~fastvid.reader.shm`), :mod:`~fastvid.reader.dali` (the DALI graph), and
:mod:`~fastvid.reader.engine` / :mod:`~fastvid.reader.loader` (batches in order).
Importing this package imports nothing heavy; worker processes import only PyAV and NumPy.
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
    from fastvid.reader.loader import ClipLoader

__all__ = ["ClipLoader", "SkippedClip", "VideoDecodeError", "WorkerDiedError", "WorkerTaskError"]


def __getattr__(name: str) -> Any:
    if name == "ClipLoader":
        from fastvid.reader.loader import ClipLoader

        return ClipLoader
    if name in ("SkippedClip", "VideoDecodeError", "WorkerDiedError", "WorkerTaskError"):
        from fastvid.reader import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'fastvid.reader' has no attribute {name!r}")
