"""``VideoClassificationData.from_tensors``: clips already in memory (Flash 0.8's signature).

Each tensor is one clip, ``(C, T, H, W)`` (a 5-D tensor is a stack of them); nothing is decoded,
so the stage's transforms run in torch on each clip (the same transforms a file's clip gets,
un-lowered) and torch's ``default_collate`` makes the batches
(:class:`~fastvid.integrations.flash.inputs.TensorClipLoader`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import torch
from torch.utils.data import Sampler, SequentialSampler

from fastvid.data import layout
from fastvid.integrations.flash._stages import ListsConstructor, flash_args, per_stage
from fastvid.integrations.flash.input_transform import VideoClassificationInputTransform
from fastvid.integrations.flash.inputs import (
    VideoClassificationTensorsInput,
    VideoClassificationTensorsPredictInput,
)
from fastvid.integrations.flash.target_formatters import as_target_format

__all__ = ["TensorConstructor", "as_clips"]

M = TypeVar("M", bound="TensorConstructor")


def as_clips(data: Any, name: str) -> tuple[torch.Tensor, ...]:
    """Flash's reading of ``from_tensors`` data: a list of ``(C, T, H, W)`` tensors, one such
    tensor, or a ``(N, C, T, H, W)`` stack.

    Raises:
        ValueError: A tensor that is neither 4-D nor 5-D (Flash's message).
        TypeError: Neither a tensor nor a list of tensors.
    """
    if isinstance(data, torch.Tensor):
        if data.ndim == 5:
            return tuple(data)
        if data.ndim == 4:
            return (data,)
        raise ValueError(
            f"{name}: Got dimension of the input tensor: {data.ndim} for stack of tensors - "
            "dimension should be 5 or for a single tensor, dimension should be 4."
        )
    if not isinstance(data, Sequence) or isinstance(data, str):
        raise TypeError(
            f"{name}: Expected either a list/tuple of torch.Tensor or torch.Tensor, but got: "
            f"{type(data)}."
        )
    clips = tuple(data)
    for i, clip in enumerate(clips):
        if not isinstance(clip, torch.Tensor) or clip.ndim != 4:
            raise ValueError(
                f"{name}[{i}] must be a (C, T, H, W) tensor, got "
                f"{getattr(clip, 'shape', type(clip).__name__)}"
            )
    return clips


def _names(count: int) -> list[str]:
    return [f"video{i}" for i in range(count)]


def _labelled(
    clips: tuple[torch.Tensor, ...], targets: Any, fmt: layout.TargetFormat | None, name: str
) -> layout.LabeledVideoList:
    """The clips' targets read in Flash's formats (the clips are named ``video<i>``)."""
    targets = None if targets is None else list(targets)
    if targets is None or len(targets) != len(clips):
        raise ValueError(
            f"{name}: give one target per clip ({len(clips)} clips, "
            f"{None if targets is None else len(targets)} targets)"
        )
    where = [f" (clip {i} of {name})" for i in range(len(clips))]
    fmt = fmt or layout.infer_target_format(targets, where)
    videos = []
    for path, target, place in zip(_names(len(clips)), targets, where, strict=True):
        value = fmt.format(target, place)
        if isinstance(value, tuple):
            videos.append(layout.LabeledVideo(path, -1, value))
        else:
            videos.append(layout.LabeledVideo(path, value))
    return layout.LabeledVideoList(tuple(videos), fmt.classes, fmt)


class TensorConstructor(ListsConstructor):
    """``VideoClassificationData.from_tensors`` (mixed in)."""

    @classmethod
    def from_tensors(
        cls: type[M],
        train_data: Any = None,
        train_targets: Sequence[Any] | None = None,
        val_data: Any = None,
        val_targets: Sequence[Any] | None = None,
        test_data: Any = None,
        test_targets: Sequence[Any] | None = None,
        predict_data: Any = None,
        target_formatter: Any = None,
        video_sampler: type[Sampler[int]] | Sampler[int] = SequentialSampler,
        input_cls: type = VideoClassificationTensorsInput,
        predict_input_cls: type = VideoClassificationTensorsPredictInput,
        transform: Any = VideoClassificationInputTransform,
        transform_kwargs: dict[str, Any] | None = None,
        **data_module_kwargs: Any,
    ) -> M:
        """Clips in memory: per stage, a list of ``(C, T, H, W)`` tensors (values 0..255), one
        such tensor, or an ``(N, C, T, H, W)`` stack, and one target per clip (Flash's target
        formats; ``target_formatter`` fixes format and classes).

        Every clip is one sample (no clip sampling), named ``video<i>``; the default transforms
        subsample ``temporal_sub_sample`` frames, divide by 255 and crop to ``image_size``
        (padding smaller clips), as Flash's. Batches stack clips, so a stage's transformed clips
        must share a shape. ``video_sampler`` orders the training clips (others are in order).
        The other arguments are :meth:`from_folders`'.

        Raises:
            ValueError: A tensor that is neither 4-D nor 5-D, or a target count that differs
                from the clip count.
            TypeError: Data that is neither a tensor nor a list of tensors.
        """
        options = flash_args(locals())
        fmt = as_target_format(target_formatter)
        lists: dict[str, layout.LabeledVideoList] = {}
        tensors: dict[str, tuple[torch.Tensor, ...]] = {}
        given = per_stage((train_data, train_targets), (val_data, val_targets))
        given["test"] = (test_data, test_targets)
        for stage, (data, targets) in given.items():
            if data is not None:
                tensors[stage] = as_clips(data, f"{stage}_data")
                lists[stage] = _labelled(tensors[stage], targets, fmt, f"{stage}_data")
                fmt = fmt or lists[stage].target_format
        if predict_data is not None:
            tensors["predict"] = as_clips(predict_data, "predict_data")
            classes = fmt.classes if fmt is not None else ("unknown",)
            names = _names(len(tensors["predict"]))
            lists["predict"] = layout.LabeledVideoList(
                tuple(layout.LabeledVideo(n, -1) for n in names), classes
            )
        return cls._from_lists(lists, {}, tensors=tensors, **options, **data_module_kwargs)
