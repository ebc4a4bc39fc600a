"""The clip graph: decode the planned frames, then resize / crop / flip / normalise.

One graph description (:class:`GraphSpec`) serves every route and device:

* ``source_kind="encoded"``: the input is a GOP-range cut (:mod:`fastvid.reader.decoding.gop`);
  ``fn.decoders.video`` decodes it, on NVDEC (``device="mixed"``) for a GPU graph or with DALI's
  CPU decoder (VP8/VP9/MJPEG) for a CPU graph, with ``pad_mode="none"`` so a cut that holds
  fewer frames than planned is an error, never black frames.
* ``source_kind="frames"``: the input is ``FHWC`` uint8 frames a worker decoded with PyAV (any
  codec), possibly already scaled to the first ``ShortSideScale``'s size (``prescaled``).

Either way each distinct frame is decoded once; ``order`` then repeats frames where
``UniformTemporalSubsample`` asks for more frames than the clip has (``fn.sequence_rearrange``).
Every op after that is per frame, and the output is float32 ``CFHW`` (``C, T, H, W``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from nvidia.dali import fn, types

from fastvid.reader.transforms.augment import (
    ChannelAffine,
    CropOp,
    FlipOp,
    ResizedCropOp,
    ShortSideScaleOp,
    SpatialOp,
)

__all__ = ["GraphSpec", "build_graph", "input_names", "param_arrays"]

SourceKind = Literal["encoded", "frames"]


@dataclass(frozen=True)
class GraphSpec:
    """Static description of a clip graph.

    Attributes:
        source_kind: ``"encoded"`` (a GOP-range cut DALI decodes) or ``"frames"`` (decoded
            ``FHWC`` uint8 frames).
        spatial_ops: Lowered spatial ops in order.
        affine: Per-channel ``x * scale + offset`` applied last, with the cast to float32.
        device: ``"gpu"`` (decode on NVDEC, ops on the GPU) or ``"cpu"``.
        prescaled: Frames input only: the frames already have the size the first op (a
            ``ShortSideScaleOp``) would give them (FFmpeg scaled them), so the graph skips it.
        rearrange: Take an ``order`` input and repeat frames by it (needed when a temporal
            subsample can ask for more frames than a clip has).
    """

    source_kind: SourceKind
    spatial_ops: tuple[SpatialOp, ...]
    affine: ChannelAffine
    device: Literal["cpu", "gpu"]
    prescaled: bool = False
    rearrange: bool = True

    def __post_init__(self) -> None:
        if self.prescaled and (
            self.source_kind != "frames"
            or not self.spatial_ops
            or not isinstance(self.spatial_ops[0], ShortSideScaleOp)
        ):
            raise ValueError(
                "prescaled=True needs source_kind='frames' and a ShortSideScaleOp first"
            )

    @property
    def graph_ops(self) -> tuple[tuple[int, SpatialOp], ...]:
        """``(position, op)`` of the ops the graph runs (the prescaled first one skipped)."""
        ops = tuple(enumerate(self.spatial_ops))
        return ops[1:] if self.prescaled else ops

    @property
    def needs_float_input(self) -> bool:
        """Whether a crop pads with a value a uint8 frame cannot hold."""
        return any(
            isinstance(op, CropOp) and any(v != round(v) or not 0 <= v <= 255 for v in op.fill)
            for op in self.spatial_ops
        )


def input_names(spec: GraphSpec) -> list[str]:
    """Names of the graph's inputs, in the order :func:`param_arrays` and callers build them."""
    names = ["video"]
    if spec.source_kind == "encoded":
        names.append("frames")
    if spec.rearrange:
        names.append("order")
    for position, op in spec.graph_ops:
        if isinstance(op, ShortSideScaleOp):
            names.append(f"op{position}_size")
        elif isinstance(op, CropOp):
            names += [f"op{position}_anchor", f"op{position}_shape"]
        elif isinstance(op, ResizedCropOp):
            names += [f"op{position}_anchor", f"op{position}_shape", f"op{position}_size"]
        else:
            names.append(f"op{position}_flip")
    return names


def param_arrays(spec: GraphSpec, params: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    """One sample's parameter inputs, in :func:`input_names` order (after video/frames/order).

    Args:
        spec: The graph.
        params: The sample's resolved primitive parameters (``SampleSteps.params``) for every
            op in ``spec.spatial_ops``, the prescaled one included.
    """
    arrays: list[np.ndarray] = []
    steps = iter(params)
    for position, op in enumerate(spec.spatial_ops):
        if isinstance(op, ShortSideScaleOp):
            size = next(steps)
            if not (spec.prescaled and position == 0):
                arrays.append(np.asarray(size, dtype=np.float32))
        elif isinstance(op, (CropOp, ResizedCropOp)):
            y, x, h, w = next(steps)
            arrays += [np.array([y, x], dtype=np.int32), np.array([h, w], dtype=np.int32)]
            if isinstance(op, ResizedCropOp):
                arrays.append(np.asarray(next(steps), dtype=np.float32))
        else:
            arrays.append(np.array(next(steps)[0], dtype=np.int32))
    return arrays


def build_graph(spec: GraphSpec, inputs: dict[str, Any]) -> Any:
    """The graph's output node (float32 ``CFHW``) from its input nodes, by name."""
    video = inputs["video"]
    if spec.source_kind == "encoded":
        # affine=False: the mixed decoder would pin its threads to cores that the worker
        # processes and the training loop use too (DALI's default); not measured better pinned
        video = fn.decoders.video(
            video,
            device="mixed" if spec.device == "gpu" else "cpu",
            frames=inputs["frames"],
            pad_mode="none",
            affine=False,
        )
    else:
        video = fn.reshape(video, layout="FHWC")
        if spec.device == "gpu":
            video = video.gpu()
    if spec.needs_float_input:
        video = fn.cast(video, dtype=types.DALIDataType.FLOAT)
    for position, op in spec.graph_ops:
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
    if spec.rearrange:
        # every op above is per frame, so repeating frames last is the same and cheaper
        video = fn.sequence_rearrange(video, new_order=inputs["order"])
    affine = spec.affine
    return fn.crop_mirror_normalize(
        video,
        dtype=types.DALIDataType.FLOAT,
        output_layout="CFHW",
        mean=[-o / s for o, s in zip(affine.offset, affine.scale, strict=True)],
        std=[1.0 / s for s in affine.scale],
    )


def _resize(video: Any, size: Any, *, antialias: bool) -> Any:
    return fn.resize(
        video,
        size=size,
        interp_type=types.DALIInterpType.INTERP_LINEAR,
        antialias=antialias,
        dtype=types.DALIDataType.FLOAT,
    )
