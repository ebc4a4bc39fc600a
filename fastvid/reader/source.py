"""The DALI external source: one planned clip in, the graph's per-sample inputs out.

A :class:`ClipSource` is pickled into DALI's worker processes. Called with DALI's
``SampleInfo``, it rebuilds the epoch plan (a pure function of seed and epoch, see
:mod:`fastvid.reader.epoch`), picks the clip, draws its random augmentation parameters and
returns either the file's bytes (DALI decodes) or the decoded frames (PyAV decodes). Epochs are
padded to whole batches; padding samples carry ``sample_id == -1`` and are dropped by the
loader.

A clip that cannot be read (file gone or changed since indexing, decode error on the PyAV path)
never raises in the worker: the source returns a placeholder (black frames, or a one-frame black
MJPEG for DALI to decode) and the reason in the ``error`` input; the loader drops the sample and
records the file and reason. (An exception raised in a worker puts DALI 2.4's parallel external
source out of step: later batches repeat or lose samples.)
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from fastvid.reader.augment import (
    CropOp,
    ResizedCropOp,
    ShortSideScaleOp,
    SpatialOp,
    sample_steps,
)
from fastvid.reader.epoch import EpochPlanner, _mix_seed
from fastvid.reader.plan import ClipRequest

__all__ = ["ClipSource", "FrameSize", "param_arrays"]

FrameSize = tuple[int, int]


@dataclass
class _Decoded:
    frames: np.ndarray
    error: str


class ClipSource:
    """Per-sample callback for ``fn.external_source(parallel=True, batch=False)``.

    Args:
        planner: Builds the epoch plan.
        spatial_ops: The lowered spatial ops (random parameters are drawn per sample).
        frame_sizes: ``(height, width)`` of each video, by ``video_index``.
        source_kind: ``"encoded"`` returns file bytes; ``"frames"`` decodes with PyAV.
        batch_size: The pipeline's batch size (epochs are padded to whole batches).
        seed: Seed for augmentation parameters.
        first_epoch: Epoch number of DALI's epoch 0.
        scale_in_decoder: On the PyAV path, fold a leading short-side resize into FFmpeg's
            scaler (faster; bilinear in swscale differs slightly from torch's). Default: True.
        decode_threads: FFmpeg threads per worker on the PyAV path (0: FFmpeg's choice).
            Default: 0.
    """

    def __init__(
        self,
        planner: EpochPlanner,
        spatial_ops: tuple[SpatialOp, ...],
        frame_sizes: dict[int, FrameSize],
        *,
        source_kind: Literal["encoded", "frames"],
        batch_size: int,
        seed: int,
        first_epoch: int = 0,
        scale_in_decoder: bool = True,
        decode_threads: int = 0,
    ) -> None:
        self.planner = planner
        self.spatial_ops = spatial_ops
        self.frame_sizes = frame_sizes
        self.source_kind = source_kind
        self.batch_size = batch_size
        self.seed = seed
        self.first_epoch = first_epoch
        self.scale_in_decoder = scale_in_decoder
        self.decode_threads = decode_threads
        self._reader: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_reader"] = None
        return state

    def epoch_length(self, epoch: int) -> int:
        """Samples the source yields in ``epoch``, padding included."""
        n = len(self.planner.plan(epoch))
        return -(-n // self.batch_size) * self.batch_size

    def __call__(self, sample_info: Any) -> tuple[np.ndarray, ...]:
        epoch = self.first_epoch + int(sample_info.epoch_idx)
        plan = self.planner.plan(epoch)
        position = int(sample_info.idx_in_epoch)
        if not plan or position >= self.epoch_length(epoch):
            raise StopIteration
        sample_id = position if position < len(plan) else -1
        return self.sample(plan[min(position, len(plan) - 1)], sample_id, epoch)

    def sample(self, request: ClipRequest, sample_id: int, epoch: int) -> tuple[np.ndarray, ...]:
        """The graph inputs for one clip (see ``dali_graph.input_names``)."""
        generator = torch.Generator().manual_seed(
            _mix_seed(self.seed, epoch, request.video_index, request.clip_index, request.aug_index)
        )
        height, width = self.frame_sizes[request.video_index]
        steps = sample_steps(self.spatial_ops, height, width, generator)
        params = list(steps.params)
        error = _changed_since_indexed(request.path, self.planner.videos[request.video_index])
        if self.source_kind == "encoded":
            frames = request.frame_indices.astype(np.int32)
            data = None
            if not error:
                try:
                    data = np.fromfile(request.path, dtype=np.uint8)
                except OSError as exc:
                    error = f"cannot read video {request.path}: {exc}"
            if data is None:  # never raise here (see the module docstring): decode a stand-in
                data, frames = _placeholder_video(height, width), np.zeros_like(frames)
            head: list[np.ndarray] = [data, frames]
        else:
            decode_size = None
            if (
                self.scale_in_decoder
                and self.spatial_ops
                and isinstance(self.spatial_ops[0], ShortSideScaleOp)
            ):
                decode_size = (params[0][0], params[0][1])  # (h, w) the resize would produce
            if error:
                decoded = _Decoded(_black(request, decode_size or (height, width)), error)
            else:
                decoded = self._decode(request, decode_size, (height, width))
            error = decoded.error
            head = [decoded.frames]
        arrays = head + param_arrays(self.spatial_ops, params)
        arrays.append(np.array([sample_id], dtype=np.int64))
        arrays.append(np.frombuffer(error.encode("utf-8"), dtype=np.uint8).copy())
        return tuple(arrays)

    def _decode(
        self, request: ClipRequest, size_hw: tuple[int, int] | None, full_hw: FrameSize
    ) -> _Decoded:
        from fastvid.reader.pyav_source import PyAVFrameReader

        if self._reader is None:
            self._reader = PyAVFrameReader()
        timing = self.planner.videos[request.video_index].timing
        try:
            frames = self._reader.decode_frames(
                request.path,
                request.frame_indices,
                pts=timing.pts,
                keyframes=timing.keyframes,  # type: ignore[attr-defined]
                time_base=timing.time_base,
                size=None if size_hw is None else (size_hw[1], size_hw[0]),
                threads=self.decode_threads,
            )
            return _Decoded(np.ascontiguousarray(frames), "")
        except Exception as exc:  # a bad file must not kill the worker: report and drop
            reason = f"{type(exc).__name__}: {exc}"
            black = _black(request, size_hw or full_hw)
            return _Decoded(black, reason or f"cannot decode {os.fspath(request.path)}")


@functools.lru_cache(maxsize=16)
def _encoded_black_frame(height: int, width: int) -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="avi") as container:
        stream = container.add_stream("mjpeg", rate=1)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuvj420p"
        black = np.zeros((height, width, 3), dtype=np.uint8)
        container.mux(stream.encode(av.VideoFrame.from_ndarray(black, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def _placeholder_video(height: int, width: int) -> np.ndarray:
    """A one-frame black MJPEG AVI of the video's size: what DALI decodes for a dropped clip."""
    return np.frombuffer(_encoded_black_frame(height, width), dtype=np.uint8).copy()


def _black(request: ClipRequest, size_hw: FrameSize) -> np.ndarray:
    """A placeholder clip for a sample the loader drops."""
    height, width = size_hw
    return np.zeros((len(request.frame_indices), height, width, 3), dtype=np.uint8)


def _changed_since_indexed(path: str, video: Any) -> str:
    """Why ``path`` no longer matches its index entry (size, mtime), or ``""`` if it does.

    The plan's frame positions come from the index; decoding a file that was replaced since
    would return other frames (DALI's decoder even returns black frames past the end).
    """
    timing = video.timing
    size, mtime_ns = getattr(timing, "size", None), getattr(timing, "mtime_ns", None)
    if size is None or mtime_ns is None:
        return ""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return f"the file was deleted or moved after it was indexed: {path}"
    except OSError as exc:
        return f"cannot read video {path}: {exc}"
    if (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
        how = f"size {size} -> {stat.st_size} bytes" if stat.st_size != size else "rewritten"
        return (
            f"the file changed since it was indexed ({how}); build the index again "
            f"(a new ClipLoader re-probes changed files)"
        )
    return ""


def param_arrays(
    spatial_ops: Sequence[SpatialOp], params: Sequence[tuple[int, ...]]
) -> list[np.ndarray]:
    """Per-sample parameter arrays in ``dali_graph.input_names`` order.

    Args:
        spatial_ops: The lowered ops.
        params: Their resolved primitive parameters (``SampleSteps.params``).
    """
    arrays: list[np.ndarray] = []
    steps = iter(params)
    for op in spatial_ops:
        if isinstance(op, ShortSideScaleOp):
            arrays.append(np.asarray(next(steps), dtype=np.float32))
        elif isinstance(op, (CropOp, ResizedCropOp)):
            y, x, h, w = next(steps)
            arrays += [np.array([y, x], dtype=np.int32), np.array([h, w], dtype=np.int32)]
            if isinstance(op, ResizedCropOp):
                arrays.append(np.asarray(next(steps), dtype=np.float32))
        else:
            arrays.append(np.array(next(steps)[0], dtype=np.int32))
    return arrays
