"""One prediction per video: decode clips, run the model, average the clips per video."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch

__all__ = ["predict_videos"]

Reduce = Literal["mean", "max"]
_REDUCERS = {"mean": lambda p: p.mean(0), "max": lambda p: p.max(0).values}


def _video_files(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    from fastvid.data.layout import VIDEO_EXTENSIONS

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
    and the clip probabilities are combined per video.

    Args:
        model: A :class:`~fastvid.models.classifier.VideoClassifier`.
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
    if reduce not in _REDUCERS:
        raise ValueError(f"reduce ({reduce!r}) must be one of {', '.join(_REDUCERS)}")
    from fastvid.data.datamodule import VideoClassificationData
    from fastvid.trainer import Trainer

    files = _video_files(inputs)
    datamodule = VideoClassificationData.from_files(
        predict_files=files,
        predict_transform=transform,
        clip_sampler="uniform",
        clip_duration=clip_duration,
        batch_size=batch_size,
        device=device,
    )
    trainer = Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False)
    outputs: list[dict[str, Any]] = trainer.predict(model, datamodule=datamodule) or []  # type: ignore[assignment]
    videos = datamodule.videos("predict")
    per_video: dict[str, list[torch.Tensor]] = {}
    for batch in outputs:
        for index, probs in zip(batch["video_index"], batch["probabilities"], strict=True):
            per_video.setdefault(videos[int(index)].path, []).append(probs)
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
