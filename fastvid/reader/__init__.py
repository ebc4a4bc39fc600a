"""The clip reader: epoch plans in, decoded and augmented batches out.

``from fastvid.reader import ClipLoader`` is the entry point. The rooms, in the order data
flows through them:

* :mod:`~fastvid.reader.planning`: a clip's frames, the epoch's clips in order, the tasks;
* :mod:`~fastvid.reader.decoding`: files to frames (PyAV), GOP cuts (for DALI's decoder),
  audio, which decoder per file, NVDEC proved on the GPU;
* :mod:`~fastvid.reader.transforms`: transforms lowered, per-clip parameters, the CPU finish;
* :mod:`~fastvid.reader.workers`: worker processes, their tasks, shared memory, how many;
* :mod:`~fastvid.reader.dali`: the DALI graph (the only DALI importer);
* :mod:`~fastvid.reader.loader`: ``ClipLoader``, its set-up, epoch runs, resume, skip record.

Beside them: :mod:`~fastvid.reader.inline` (clips decoded in the calling process, no workers),
:mod:`~fastvid.reader.device` (GPU or CPU) and :mod:`~fastvid.reader.errors` (the reader's
errors). Importing this package imports nothing heavy; worker processes import only PyAV and
NumPy.
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
