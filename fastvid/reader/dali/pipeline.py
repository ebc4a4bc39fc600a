"""Running DALI: build a clip pipeline, feed it a batch, get torch tensors, let it go.

This module and :mod:`fastvid.reader.dali.graph` are the only fastvid modules that touch DALI.
A :class:`ClipPipeline` is fed by name (``feed_input``) and runs synchronously on the caller's
thread: fastvid's own worker processes prepare its inputs, so DALI needs no Python workers.

Lifetime. A DALI ``Pipeline`` owns native threads. Its destructor stops them, and in a forked
child (a torch ``DataLoader`` worker, a ``multiprocessing.Pool``) those threads do not exist,
so the destructor would wait forever. Every pipeline fastvid builds is registered here; in a
forked child, :func:`_disarm_in_child` detaches them all (the child never runs a DALI
destructor), and at interpreter exit any still alive are released.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import torch
from nvidia.dali import fn
from nvidia.dali.pipeline import Pipeline

from fastvid.errors import FastvidError
from fastvid.reader.dali.graph import GraphSpec, build_graph, input_names

__all__ = ["ClipPipeline", "DaliRunError", "decode_only", "live_pipelines"]

_live: weakref.WeakSet[ClipPipeline] = weakref.WeakSet()
_live_lock = threading.Lock()
_kept_in_child: list[Any] = []  # native pipelines a forked child must never destroy


class DaliRunError(FastvidError, RuntimeError):
    """DALI failed to run a batch (a decoder error, an unsupported stream, ...).

    It names no file (a batch holds many); the engine retries the clips one by one and
    records the failing ones with kind ``"decode_error"``.
    """


class ClipPipeline:
    """A built clip graph, fed one batch at a time.

    Args:
        spec: What the graph does.
        batch_size: Largest batch it will be fed.
        num_threads: DALI CPU threads (and mixed-decoder threads on the GPU).
        device_id: CUDA device for a GPU graph. Default: ``None`` (CPU graph).
    """

    def __init__(
        self,
        spec: GraphSpec,
        *,
        batch_size: int,
        num_threads: int = 1,
        device_id: int | None = None,
    ) -> None:
        if spec.device == "gpu" and device_id is None:
            raise ValueError("a GPU graph needs device_id (the CUDA device it runs on)")
        self.spec = spec
        self.names = input_names(spec)
        self.device_id = device_id if spec.device == "gpu" else None
        self._owner_pid = os.getpid()
        pipe = Pipeline(
            batch_size=batch_size,
            num_threads=num_threads,
            device_id=self.device_id,
            prefetch_queue_depth=1,
            exec_dynamic=True,  # a failed run leaves the pipeline usable
        )
        with pipe:
            nodes = {name: fn.external_source(name=name, no_copy=True) for name in self.names}
            pipe.set_outputs(build_graph(spec, nodes))
        pipe.build()
        self._pipe: Pipeline | None = pipe
        with _live_lock:
            _live.add(self)

    def run(self, inputs: Mapping[str, Sequence[Any]]) -> torch.Tensor | list[torch.Tensor]:
        """Run one batch; the arrays must stay alive until this returns (they are not copied).

        Args:
            inputs: One list per input name (:func:`~fastvid.reader.dali.graph.input_names`),
                one array per sample.

        Returns:
            The clips as float32 ``(B, C, T, H, W)`` on the graph's device when they all have
            one shape, else one ``(C, T, H, W)`` tensor per clip.

        Raises:
            DaliRunError: If DALI fails (the pipeline stays usable).
        """
        pipe = self._pipe
        if pipe is None:
            raise RuntimeError("this ClipPipeline was closed")
        for name in self.names:
            pipe.feed_input(name, list(inputs[name]))
        try:
            (video,) = pipe.run()
        except RuntimeError as exc:
            raise DaliRunError(_dali_reason(exc)) from exc
        return _to_torch(video, self.device_id)

    def close(self) -> None:
        """Stop DALI's threads and free its memory now (idempotent; a no-op in a fork child)."""
        pipe, self._pipe = self._pipe, None
        with _live_lock:
            _live.discard(self)
        if pipe is not None and os.getpid() == self._owner_pid:
            pipe._shutdown()  # stops DALI's threads now rather than whenever GC runs

    def _disown(self) -> None:
        """In a forked child: drop the pipeline without running any DALI destructor."""
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            native = getattr(pipe, "_pipe", None)
            if native is not None:
                _keep_forever(native)
                pipe._pipe = None
            _keep_forever(pipe)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def _keep_forever(obj: Any) -> None:
    """Hold a reference that is never released, so no destructor ever runs for ``obj``."""
    _kept_in_child.append(obj)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def live_pipelines() -> list[ClipPipeline]:
    """The clip pipelines alive in this process (for tests and leak checks)."""
    with _live_lock:
        return list(_live)


def _disarm_in_child() -> None:
    for clip_pipeline in list(_live):
        clip_pipeline._disown()
    _live.clear()


def _close_all() -> None:
    for clip_pipeline in live_pipelines():
        with contextlib.suppress(Exception):
            clip_pipeline.close()


os.register_at_fork(after_in_child=_disarm_in_child)
atexit.register(_close_all)


def _to_torch(tensor_list: Any, device_id: int | None) -> torch.Tensor | list[torch.Tensor]:
    """Copy DALI's output (reused by its next run) into torch tensors: one copy, no collate."""
    from nvidia.dali.plugin.pytorch import feed_ndarray

    gpu = device_id is not None
    device = torch.device("cuda", device_id) if device_id is not None else torch.device("cpu")
    stream = torch.cuda.current_stream(device) if gpu else None
    if tensor_list.is_dense_tensor():
        dense = tensor_list.as_tensor()
        out = torch.empty(dense.shape(), dtype=torch.float32, device=device)
        feed_ndarray(dense, out, cuda_stream=stream)
        return out
    samples = []
    for i in range(len(tensor_list)):
        sample = tensor_list[i]
        out = torch.empty(sample.shape(), dtype=torch.float32, device=device)
        feed_ndarray(sample, out, cuda_stream=stream)
        samples.append(out)
    return samples


def _dali_reason(exc: BaseException) -> str:
    """The cause in a DALI error message (which also carries the graph's Python traceback and a
    C++ context): the first line after ``encountered:``, else the first line."""
    text = str(exc)
    if "encountered:" in text:
        text = text.split("encountered:", 1)[1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    keep = [line for line in lines if not line.startswith(("C++ context", "Current pipeline"))]
    return (keep or lines or [type(exc).__name__])[0][:500]


def decode_only(
    data: np.ndarray, frames: np.ndarray, *, device: Literal["cpu", "gpu"], device_id: int = 0
) -> np.ndarray:
    """Decode ``frames`` of one encoded video (file bytes or a cut), nothing else: FHWC uint8.

    ``device="gpu"`` uses the ``mixed`` (NVDEC) decoder. Used to prove NVDEC works at start-up
    and by ``fastvid gpu-check`` to compare decoders frame by frame.

    Raises:
        DaliRunError: If DALI cannot decode it.
    """
    gpu = device == "gpu"
    pipe = Pipeline(
        batch_size=1,
        num_threads=1,
        device_id=device_id if gpu else None,
        prefetch_queue_depth=1,
        exec_dynamic=True,
    )
    try:
        with pipe:
            encoded = fn.external_source(name="data")
            decoded = fn.decoders.video(
                encoded,
                device="mixed" if gpu else "cpu",
                frames=np.asarray(frames, dtype=np.int32).tolist(),
                pad_mode="none",
            )
            pipe.set_outputs(decoded)
        pipe.build()
        pipe.feed_input("data", [np.asarray(data, dtype=np.uint8)])
        try:
            (out,) = pipe.run()
        except RuntimeError as exc:
            raise DaliRunError(_dali_reason(exc)) from exc
        if gpu:
            out = out.as_cpu()
        return np.array(out.at(0))
    finally:
        pipe._shutdown()
