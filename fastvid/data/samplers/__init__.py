"""PyTorchVideo's clip samplers with identical semantics: which seconds of a video become clips.

``make_clip_sampler("uniform", 2.0)`` and friends give exactly the clips PyTorchVideo 0.1.5
gives (same ``Fraction`` times, indices, last-clip flags and, under the same seed, the same
random clips); PyTorchVideo's own sampler objects are accepted through ``as_clip_sampler``.
"""

from typing import TYPE_CHECKING, Any

from fastvid.data.samplers._base import (
    ClipInfo,
    ClipInfoList,
    ClipSampler,
    PyTorchVideoClipSampler,
    clips_for_video,
)
from fastvid.data.samplers._constant import ConstantClipsPerVideoSampler
from fastvid.data.samplers._factory import (
    ClipSamplerName,
    as_clip_sampler,
    list_clip_samplers,
    make_clip_sampler,
    register_clip_sampler,
)
from fastvid.data.samplers._first import FirstClipSampler
from fastvid.data.samplers._random import RandomClipSampler, RandomMultiClipSampler, RandomSource
from fastvid.data.samplers._uniform import UniformClipSampler

if TYPE_CHECKING:
    from fastvid.data.samplers._worker_share import MultiProcessSampler

__all__ = [
    "ClipInfo",
    "ClipInfoList",
    "ClipSampler",
    "ClipSamplerName",
    "ConstantClipsPerVideoSampler",
    "FirstClipSampler",
    "MultiProcessSampler",
    "PyTorchVideoClipSampler",
    "RandomClipSampler",
    "RandomMultiClipSampler",
    "RandomSource",
    "UniformClipSampler",
    "as_clip_sampler",
    "clips_for_video",
    "list_clip_samplers",
    "make_clip_sampler",
    "register_clip_sampler",
]


def __getattr__(name: str) -> Any:
    # MultiProcessSampler is a torch Sampler: imported on first use, so that the clip
    # samplers (and the loader's worker processes, which import fastvid.data) need no torch
    if name == "MultiProcessSampler":
        from fastvid.data.samplers._worker_share import MultiProcessSampler

        return MultiProcessSampler
    raise AttributeError(f"module 'fastvid.data.samplers' has no attribute {name!r}")
