"""The DALI graph: decode the planned frames, then resize / crop / flip / normalise.

This is the only fastvid module that imports DALI. One graph serves every device:

* ``device="gpu"``: ``fn.decoders.video(device="mixed")`` decodes on NVDEC straight into GPU
  memory; every later op runs on the GPU.
* ``device="cpu"``: the same graph with DALI's CPU decoder (VP8/VP9/MJPEG), or fed with frames
  that :mod:`fastvid.reader.pyav_source` decoded (H.264/HEVC/MPEG-4), then the same ops on CPU.

Inputs come from one external source (per sample, optionally in parallel worker processes):
``video`` (encoded file bytes, or decoded ``FHWC`` uint8 frames), ``frames`` (positions to
decode; encoded input only), one input per primitive parameter, ``sample_id`` and ``error``.
Outputs: the clip as float32 ``CFHW`` (``C, T, H, W``), ``sample_id`` and ``error``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from nvidia.dali import fn, types
from nvidia.dali.pipeline import Pipeline

from fastvid.reader.augment import (
    ChannelAffine,
    CropOp,
    FlipOp,
    ResizedCropOp,
    ShortSideScaleOp,
    SpatialOp,
)

__all__ = [
    "GraphSpec",
    "build_pipeline",
    "dead_workers",
    "decode_only",
    "input_names",
    "release_pipeline",
    "stop_workers",
    "worker_pids",
]

SourceKind = Literal["encoded", "frames"]


@dataclass(frozen=True)
class GraphSpec:
    """Static description of a clip graph.

    Attributes:
        source_kind: ``"encoded"`` (DALI decodes file bytes) or ``"frames"`` (decoded frames in).
        spatial_ops: Lowered spatial ops in order.
        affine: Per-channel ``x * scale + offset`` applied last, with the cast to float32.
        device: ``"gpu"`` (decode on NVDEC, ops on GPU) or ``"cpu"``.
    """

    source_kind: SourceKind
    spatial_ops: tuple[SpatialOp, ...]
    affine: ChannelAffine
    device: Literal["cpu", "gpu"]

    @property
    def needs_float_input(self) -> bool:
        """Whether a crop pads with a value a uint8 frame cannot hold."""
        return any(
            isinstance(op, CropOp) and any(v != round(v) or not 0 <= v <= 255 for v in op.fill)
            for op in self.spatial_ops
        )


def input_names(spec: GraphSpec) -> list[str]:
    """Names of the external-source inputs, in the order a source returns them."""
    names = ["video"]
    if spec.source_kind == "encoded":
        names.append("frames")
    for position, op in enumerate(spec.spatial_ops):
        if isinstance(op, ShortSideScaleOp):
            names.append(f"op{position}_size")
        elif isinstance(op, CropOp):
            names += [f"op{position}_anchor", f"op{position}_shape"]
        elif isinstance(op, ResizedCropOp):
            names += [f"op{position}_anchor", f"op{position}_shape", f"op{position}_size"]
        else:
            names.append(f"op{position}_flip")
    return [*names, "sample_id", "error"]


def _graph(spec: GraphSpec, inputs: dict[str, Any]) -> tuple[Any, Any, Any]:
    video = inputs["video"]
    if spec.source_kind == "encoded":
        decoder_device = "mixed" if spec.device == "gpu" else "cpu"
        video = fn.decoders.video(video, device=decoder_device, frames=inputs["frames"])
    elif spec.device == "gpu":
        video = video.gpu()
    if spec.needs_float_input:
        video = fn.cast(video, dtype=types.DALIDataType.FLOAT)
    for position, op in enumerate(spec.spatial_ops):
        key = f"op{position}"
        if isinstance(op, ShortSideScaleOp):
            video = _resize(video, inputs[f"{key}_size"], antialias=False)
        elif isinstance(op, CropOp):
            video = fn.slice(
                video,
                inputs[f"{key}_anchor"],
                inputs[f"{key}_shape"],
                axis_names="HW",
                out_of_bounds_policy="pad",
                fill_values=list(op.fill),
            )
        elif isinstance(op, ResizedCropOp):
            video = fn.slice(
                video, inputs[f"{key}_anchor"], inputs[f"{key}_shape"], axis_names="HW"
            )
            video = _resize(video, inputs[f"{key}_size"], antialias=op.antialias)
        elif isinstance(op, FlipOp):
            video = fn.flip(video, horizontal=inputs[f"{key}_flip"], vertical=0)
    affine = spec.affine
    video = fn.crop_mirror_normalize(
        video,
        dtype=types.DALIDataType.FLOAT,
        output_layout="CFHW",
        mean=[-o / s for o, s in zip(affine.offset, affine.scale, strict=True)],
        std=[1.0 / s for s in affine.scale],
    )
    return video, inputs["sample_id"], inputs["error"]


def _resize(video: Any, size: Any, *, antialias: bool) -> Any:
    return fn.resize(
        video,
        size=size,
        interp_type=types.DALIInterpType.INTERP_LINEAR,
        antialias=antialias,
        dtype=types.DALIDataType.FLOAT,
    )


def build_pipeline(
    spec: GraphSpec,
    *,
    batch_size: int,
    source: Callable[[Any], Sequence[Any]] | None,
    num_threads: int = 2,
    py_num_workers: int = 1,
    device_id: int | None = None,
    prefetch_queue_depth: int = 2,
    seed: int = 0,
) -> Pipeline:
    """Build (and ``build()``) the clip pipeline.

    Args:
        spec: What the graph does.
        batch_size: Samples per batch.
        source: Per-sample callback ``source(sample_info) -> tuple`` in :func:`input_names`
            order, run in ``py_num_workers`` worker processes; raises ``StopIteration`` at the end
            of an epoch. ``None`` builds a pipeline fed with ``feed_input`` by name instead
            (used to retry single samples).
        num_threads: DALI CPU threads. Default: 2.
        py_num_workers: Worker processes for ``source``. Default: 1.
        device_id: CUDA device, ``None`` for a CPU-only pipeline. Default: ``None``.
        prefetch_queue_depth: Batches DALI prepares ahead. Default: 2.
        seed: DALI's own seed (fastvid draws its random parameters itself). Default: 0.

    Returns:
        A built ``nvidia.dali.Pipeline``.
    """
    names = input_names(spec)
    parallel = source is not None and py_num_workers > 0
    pipe = Pipeline(
        batch_size=batch_size,
        num_threads=num_threads,
        device_id=device_id if spec.device == "gpu" else None,
        seed=seed,
        prefetch_queue_depth=prefetch_queue_depth,
        py_num_workers=max(py_num_workers, 1),
        py_start_method="spawn",
        exec_dynamic=True,
    )
    with pipe:
        if source is not None:
            if parallel:
                nodes = fn.external_source(
                    source=source,
                    num_outputs=len(names),
                    batch=False,
                    parallel=True,
                    prefetch_queue_depth=max(prefetch_queue_depth, 1),
                )
            else:  # prefetch_queue_depth is an option of parallel sources only
                nodes = fn.external_source(source=source, num_outputs=len(names), batch=False)
            inputs = dict(zip(names, nodes, strict=True))
        else:
            inputs = {name: fn.external_source(name=name) for name in names}
        if spec.source_kind == "frames":
            inputs["video"] = fn.reshape(inputs["video"], layout="FHWC")
        pipe.set_outputs(*_graph(spec, inputs))
    with _main_module_hidden():
        pipe.build()
    return pipe


def _worker_processes(pipe: Pipeline) -> list[Any]:
    """The ``multiprocessing.Process`` objects of a pipeline's parallel external source."""
    pool = getattr(getattr(pipe, "_py_pool", None), "pool", None)  # WorkerPool -> ProcPool
    return list(getattr(pool, "_processes", None) or [])


def worker_pids(pipe: Pipeline) -> list[int]:
    """Process ids of a pipeline's Python worker processes (empty if it has none)."""
    return [int(process.pid) for process in _worker_processes(pipe) if process.pid is not None]


def dead_workers(pipe: Pipeline) -> list[tuple[int, int]]:
    """``(pid, exit code)`` of the pipeline's worker processes that have exited.

    A worker that exits while DALI waits on it can leave ``pipe.run()`` blocked forever on a
    lock the worker held (seen with DALI 2.4 after ``SIGKILL``): the loader polls this instead
    of waiting blindly. A negative exit code is the signal that ended the process.
    """
    dead = []
    for process in _worker_processes(pipe):
        code = process.exitcode  # polls without blocking; None while running
        if code is not None:
            dead.append((int(process.pid), int(code)))
    return dead


def stop_workers(pipe: Pipeline, *, timeout: float = 2.0) -> None:
    """Terminate the pipeline's worker processes that are still running (after one died)."""
    processes = [p for p in _worker_processes(pipe) if p.exitcode is None]
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join(timeout)


def release_pipeline(pipe: Pipeline) -> None:
    """Stop a pipeline's worker processes now and close their pipes (do not wait for GC).

    DALI's worker pool is closed, each worker ``Process`` is joined and closed (which closes
    its sentinel pipe), and finished children are reaped.
    """
    processes = _worker_processes(pipe)
    pool = getattr(pipe, "_py_pool", None)
    if pool is not None:
        with contextlib.suppress(Exception):
            pool.close()
    stop_workers(pipe)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(1.0)
            process.close()
    multiprocessing.active_children()  # reap finished children


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start DALI's spawned workers without re-running the user's script in each of them.

    ``multiprocessing``'s spawn re-imports ``__main__`` in every child, which re-runs a script
    that has no ``if __name__ == "__main__":`` guard (Flash's own examples have none). The
    source callback lives in fastvid's modules, so the children do not need ``__main__``:
    hide its file and spec while the workers start.
    """
    main = sys.modules.get("__main__")
    saved = {name: getattr(main, name) for name in ("__file__", "__spec__") if hasattr(main, name)}
    if "__file__" in saved:
        delattr(main, "__file__")
    if "__spec__" in saved:
        main.__spec__ = None  # type: ignore[union-attr]  # spawn reads it with getattr(...)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(main, name, value)


def decode_only(
    data: np.ndarray, frames: np.ndarray, *, device: Literal["cpu", "gpu"]
) -> np.ndarray:
    """Decode ``frames`` of one encoded video (file bytes) with no other op: FHWC uint8.

    ``device="gpu"`` uses the ``mixed`` (NVDEC) decoder. Used by ``fastvid gpu-check`` to compare
    decoders frame by frame.
    """
    pipe = Pipeline(batch_size=1, num_threads=1, device_id=0 if device == "gpu" else None)
    with pipe:
        encoded = fn.external_source(name="data")
        decoded = fn.decoders.video(
            encoded, device="mixed" if device == "gpu" else "cpu", frames=frames.tolist()
        )
        pipe.set_outputs(decoded)
    pipe.build()
    pipe.feed_input("data", [data])
    (out,) = pipe.run()
    if device == "gpu":
        out = out.as_cpu()
    return np.array(out.at(0))


def to_torch_samples(tensor_list: Any) -> list[Any]:
    """Copy a DALI TensorList (CPU or GPU) into one torch tensor per sample.

    DALI reuses its output buffers for later iterations, so results are copied out (on the GPU
    a device-to-device copy on torch's current stream, through DALI's PyTorch plugin).
    """
    import torch
    from nvidia.dali.plugin.pytorch import feed_ndarray
    from nvidia.dali.tensors import TensorListGPU

    samples: list[Any] = []
    if isinstance(tensor_list, TensorListGPU):
        stream = torch.cuda.current_stream()
        if tensor_list.is_dense_tensor():
            dense = tensor_list.as_tensor()
            out = torch.empty(dense.shape(), dtype=torch.float32, device="cuda")
            feed_ndarray(dense, out, cuda_stream=stream)
            return list(out.unbind(0))
        for i in range(len(tensor_list)):
            sample = tensor_list[i]
            out = torch.empty(sample.shape(), dtype=torch.float32, device="cuda")
            feed_ndarray(sample, out, cuda_stream=stream)
            samples.append(out)
        return samples
    if tensor_list.is_dense_tensor():
        return list(torch.from_numpy(tensor_list.as_array().copy()).unbind(0))
    return [torch.from_numpy(tensor_list.at(i).copy()) for i in range(len(tensor_list))]


def to_numpy_samples(tensor_list: Any) -> list[Any]:
    """A small CPU TensorList (ids, error messages) as one numpy array per sample."""
    return [tensor_list.at(i).copy() for i in range(len(tensor_list))]
