"""The DALI graphs a loader runs: which it needs, and how one is built for an input kind.

A loader keeps one :class:`~fastvid.reader.dali.ClipPipeline` per input kind (``"encoded"``:
GOP ranges DALI decodes; ``"frames"``: frames PyAV decoded) and builds it on first use with
:func:`build_pipeline`; :func:`kinds_needed` says which an epoch's routes need. DALI itself is
imported only inside :mod:`fastvid.reader.dali`, when a graph is built.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Literal

import torch

from fastvid.reader.loader._run_types import Kind, RunConfig
from fastvid.reader.workers.tasks import Route

if TYPE_CHECKING:
    from fastvid.reader.dali import ClipPipeline
    from fastvid.reader.transforms.lowering import LoweredPipeline

__all__ = ["build_pipeline", "kinds_needed", "leading_scale"]


def build_pipeline(
    kind: Kind,
    lowered: LoweredPipeline,
    config: RunConfig,
    *,
    device: Literal["gpu", "cpu"],
    batch_size: int,
    dali_threads: int,
) -> ClipPipeline:
    """The DALI graph for ``kind`` input, running ``lowered``'s ops as ``config`` says.

    Args:
        kind: ``"encoded"`` or ``"frames"``.
        lowered: The lowered transform's DALI part (spatial ops, affine).
        config: The loader's run configuration (``prescale``, ``rearrange``).
        device: ``"gpu"`` or ``"cpu"``; on the GPU the graph runs on the current CUDA device.
        batch_size: Clips per batch.
        dali_threads: DALI's CPU threads.

    Returns:
        The pipeline.
    """
    from fastvid.reader.dali import ClipPipeline, GraphSpec

    spec = GraphSpec(
        kind,
        lowered.spatial_ops,
        lowered.affine,
        device,
        prescaled=kind == "frames" and config.prescale,
        rearrange=config.rearrange,
    )
    return ClipPipeline(
        spec,
        batch_size=batch_size,
        num_threads=dali_threads,
        device_id=torch.cuda.current_device() if device == "gpu" else None,
    )


def kinds_needed(routes: Collection[Route], *, torch_finish: bool) -> list[Kind]:
    """The graphs an epoch whose videos take ``routes`` runs (``"frames"`` is not needed when
    PyAV's frames are finished in torch)."""
    kinds: list[Kind] = []
    if "cut" in routes:
        kinds.append("encoded")
    if "pyav" in routes and not torch_finish:
        kinds.append("frames")
    return kinds


def leading_scale(ops: Sequence[Any]) -> bool:
    """Whether the ops start with a short-side scale FFmpeg can do while converting frames."""
    from fastvid.reader.transforms.augment import ShortSideScaleOp

    return bool(ops) and isinstance(ops[0], ShortSideScaleOp)
