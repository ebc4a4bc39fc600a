"""The ceiling: decode only the planned frames, no transforms.

PyAV (fastvid's frame-selective ``PyAVFrameReader``) in this process or in single-threaded
worker processes, and DALI's ``fn.decoders.video`` on the CPU (VP8/VP9/MJPEG) or NVDEC.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np
import torch

from fastvid.benchmark.loaders.harness import two_passes
from fastvid.benchmark.loaders.workload import Workload

__all__ = ["PyAVCeiling"]


class PyAVCeiling:
    """Decode-only: exactly the planned frames, converted to RGB at full size, no transforms.

    Uses :class:`fastvid.reader.decoding.pyav_source.PyAVFrameReader` (seek to the keyframe before
    each run of needed frames, decode forward, skip unneeded non-reference frames, convert only the
    needed frames), the fastest frame-selective CPU decoder here.

    Args:
        threads: FFmpeg decoder threads (0: FFmpeg picks). Default: 0.
    """

    def __init__(self, *, threads: int = 0) -> None:
        self.threads = threads
        self._reader: Any = None

    def frames(self, request: Any, meta: Any) -> np.ndarray:
        """uint8 ``(T, H, W, 3)`` frames of one clip."""
        from fastvid.reader.decoding.pyav_source import PyAVFrameReader

        if self._reader is None:
            self._reader = PyAVFrameReader()
        return self._reader.decode_frames(
            request.path,
            request.frame_indices,
            pts=meta.pts,
            keyframes=meta.keyframes,
            threads=self.threads,
        )


def _ceiling_in_process(work: Workload, *, threads: int) -> Iterator[int | None]:
    decoder = PyAVCeiling(threads=threads)

    def one_pass() -> Iterator[int]:
        for batch in work.batches():
            for request in batch:
                decoder.frames(request, work.index.meta(request.path))
            yield len(batch)

    yield from two_passes(one_pass, warmup_batches=1)  # the decoder stays open between passes


_WORKER_CEILING: PyAVCeiling | None = None


def _ceiling_worker_init() -> None:
    global _WORKER_CEILING
    _WORKER_CEILING = PyAVCeiling(threads=1)


def _ceiling_worker_batch(batch: list[tuple[Any, Any]]) -> int:
    assert _WORKER_CEILING is not None
    for request, meta in batch:
        _WORKER_CEILING.frames(request, meta)
    return len(batch)


def _ceiling_processes(work: Workload, *, processes: int) -> Iterator[int | None]:
    """One single-threaded decoder per process; each process decodes whole batches."""
    tasks = [[(r, work.index.meta(r.path)) for r in batch] for batch in work.batches()]
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_ceiling_worker_init) as pool:
        # Warm-up: one batch per process (a cut imap would go on decoding in the background).
        yield from two_passes(
            lambda: pool.imap(_ceiling_worker_batch, tasks),
            make_warmup=lambda: pool.imap(_ceiling_worker_batch, tasks[:processes]),
        )


class _EncodedBatches:
    """DALI batch source: the planned batches' file bytes and frame indices, once per epoch."""

    def __init__(self, batches: list[list[Any]]) -> None:
        self.batches = batches
        self.position = 0

    def __call__(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if self.position >= len(self.batches):
            self.position = 0  # next epoch starts over
            raise StopIteration
        batch = self.batches[self.position]
        self.position += 1
        data = [np.fromfile(r.path, dtype=np.uint8) for r in batch]
        return data, [r.frame_indices.astype(np.int32) for r in batch]


def _dali_decode_only(work: Workload, *, device: str) -> Iterator[int | None]:
    """DALI ``fn.decoders.video(frames=...)`` of the planned frames, nothing else."""
    from nvidia.dali import fn
    from nvidia.dali.pipeline import Pipeline

    gpu = device == "gpu"
    pipe: Any = Pipeline(
        batch_size=work.batch_size,
        num_threads=os.cpu_count() or 1,
        device_id=torch.cuda.current_device() if gpu else None,
        prefetch_queue_depth=2,
        exec_dynamic=True,
    )
    with pipe:
        data, frames = fn.external_source(
            source=_EncodedBatches(work.batches()), num_outputs=2, batch=True
        )
        video = fn.decoders.video(data, device="mixed" if gpu else "cpu", frames=frames)
        pipe.set_outputs(video)
    pipe.build()

    try:
        yield from two_passes(partial(_dali_epoch, pipe))
    finally:
        pipe = None  # frees DALI's threads and buffers before the next row


def _dali_epoch(pipe: Any) -> Iterator[int]:
    while True:
        try:
            (video,) = pipe.run()
        except StopIteration:
            pipe.reset()
            return
        yield len(video)
