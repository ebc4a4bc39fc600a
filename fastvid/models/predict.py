"""One prediction per video: decode clips, run the model, average the clips per video.

Runs the model itself (no Trainer, no DataModule): the reader's ``ClipLoader`` cuts every
video into consecutive clips, the model classifies each batch on the device its parameters are
on, and the clip probabilities are combined per video.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn
from torch.utils.data import SequentialSampler

from fastvid._validate import check_choice
from fastvid.data.layout import VIDEO_EXTENSIONS, from_pairs
from fastvid.data.samplers import make_clip_sampler
from fastvid.data.transforms import (
    BATCH_KEY,
    apply_device_transforms,
    default_transforms,
    sample_transform,
    validate_transform_dict,
)
from fastvid.reader import ClipLoader

__all__ = ["predict_videos"]

Reduce = Literal["mean", "max"]
_REDUCERS = {"mean": lambda p: p.mean(0), "max": lambda p: p.max(0).values}


def _video_files(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in VIDEO_EXTENSIONS
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                raise ValueError(f"no videos ({', '.join(VIDEO_EXTENSIONS)}) under {path}")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path} does not exist")
    return files


def predict_videos(
    model: Any,
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    clip_duration: float = 2.0,
    transform: dict[str, Any] | None = None,
    batch_size: int = 4,
    device: str = "auto",
    reduce: Reduce = "mean",
    return_probabilities: bool = False,
) -> dict[str, Any]:
    """Predict each video of ``inputs`` (files and/or folders) with ``model``.

    Every video is cut into consecutive clips (``uniform`` sampler), each clip is classified,
    and the clip probabilities are combined per video. The model runs in evaluation mode,
    without gradients, on the device of its parameters (move it with ``model.to("cuda")``
    first to predict on the GPU); its training mode is restored afterwards.

    Args:
        model: A :class:`~fastvid.models.classifier.VideoClassifier` (anything with its
            ``predict_step``).
        inputs: A video file, a folder (searched recursively) or a list of either.
        clip_duration: Clip length in seconds. Default: 2.0.
        transform: Flash-style transform dict. Default: Flash's evaluation transforms.
        batch_size: Clips per batch. Default: 4.
        device: Decoding device (``auto``/``gpu``/``cpu``). Default: ``"auto"``.
        reduce: ``"mean"`` or ``"max"`` of clip probabilities. Default: ``"mean"``.
        return_probabilities: Return probability vectors instead of labels. Default: ``False``.

    Returns:
        ``{path: label}`` (the class name when the model has labels, else the index), or
        ``{path: probabilities}``. Videos with no decodable clip are left out (see the log).
    """
    check_choice("reduce", reduce, _REDUCERS)
    files = _video_files(inputs)
    transforms = (
        validate_transform_dict(transform, stage="predict")
        if transform is not None
        else default_transforms("predict")
    )
    videos = from_pairs([(path, 0) for path in files], classes=("unknown",))
    loader = ClipLoader(
        videos,
        clip_sampler=make_clip_sampler("uniform", clip_duration),
        transform=sample_transform(transforms),
        batch_transform=transforms.get(BATCH_KEY),
        batch_size=batch_size,
        video_sampler=SequentialSampler,
        device=device,
    )
    per_video: dict[str, list[torch.Tensor]] = {}
    try:
        for output in _predict_batches(model, loader, transforms):
            for index, probs in zip(output["video_index"], output["probabilities"], strict=True):
                per_video.setdefault(videos.videos[int(index)].path, []).append(probs)
    finally:
        loader.close()
    labels = getattr(model, "labels", None)
    result: dict[str, Any] = {}
    for path, probs in per_video.items():
        combined = _REDUCERS[reduce](torch.stack(probs))
        if return_probabilities:
            result[path] = combined.tolist()
        else:
            index = int(combined.argmax())
            result[path] = labels[index] if labels else index
    return result


def _predict_batches(
    model: nn.Module, loader: ClipLoader, transforms: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``model.predict_step`` of every batch, in evaluation mode, on the model's device."""
    parameter = next(model.parameters(), None)
    target = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with torch.no_grad():
            for batch_index, batch in enumerate(loader):
                moved = {
                    key: value.to(target) if isinstance(value, torch.Tensor) else value
                    for key, value in batch.items()
                }
                moved = apply_device_transforms(transforms, moved)
                outputs.append(model.predict_step(moved, batch_index))  # type: ignore[operator]
    finally:
        model.train(was_training)
    return outputs
