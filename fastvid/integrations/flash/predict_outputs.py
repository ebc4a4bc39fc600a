"""Flash's prediction structure for ``Trainer.predict(..., output=...)``.

Flash 0.8's ``Trainer.predict`` wraps the model's ``predict_step`` for the run (its
``TransformPredictions`` callback): each batch's predictions become Flash's batch dict
(``{"input": clips, "preds": logits, "video_name": ..., "video_index": ..., "clip_index": ...,
"aug_index": ..., "metadata": {"filepath": ...}}``), are split into one dict per sample
(Flash's ``default_uncollate``) and each sample goes through the :class:`Output`. The run
returns one list per batch holding one output per sample, as Flash's does.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback
from torch import Tensor

from fastvid.data.keys import DataKeys
from fastvid.integrations.flash.outputs import (
    BASE_OUTPUTS,
    CLASSIFICATION_OUTPUTS,
    Output,
    OutputRegistry,
)

__all__ = ["FlashPredictions", "flash_batch", "resolve_output", "uncollate"]

#: The batch entries a Flash predict sample carries besides its input and preds.
_SAMPLE_KEYS = ("video_name", "video_index", "clip_index", "aug_index")
_VIDEO_KEYS = (DataKeys.INPUT.value, "video")


def resolve_output(output: Output | str, model: Any) -> Output:
    """``output`` as an :class:`Output`: a name is looked up in ``model.outputs`` (else the
    classification outputs) and configured from the model (its labels, ``multi_label``).

    Raises:
        KeyError: An unknown name; the message lists the available ones.
        TypeError: Neither a name nor an :class:`Output` (nor a callable).
    """
    if isinstance(output, str):
        registry: OutputRegistry = getattr(model, "outputs", None) or (
            CLASSIFICATION_OUTPUTS + BASE_OUTPUTS
        )
        return registry.get(output).from_task(model)
    if isinstance(output, Output):
        return output
    if callable(output):  # any callable taking one sample, as Flash's Output.__call__
        return output
    raise TypeError(
        f"output must be an output name (e.g. 'labels', 'probabilities') or an Output, "
        f"got {output!r}"
    )


def uncollate(batch: Any) -> list[Any]:
    """Flash's ``default_uncollate``: a dict of per-sample sequences → one dict per sample; a
    tensor, list or tuple → a list of its items.

    Raises:
        ValueError: A dict whose values are not all sequences of one length, or another type.
    """
    if isinstance(batch, Mapping):
        values = list(batch.values())
        if any(isinstance(v, str) or not isinstance(v, (list, tuple, Tensor)) for v in values):
            raise ValueError(
                "when uncollating a dict, all sub-batches (values) are expected to be list-like"
            )
        if len({len(v) for v in values}) > 1:
            raise ValueError(
                "when uncollating a dict, all sub-batches (values) are expected to have the "
                "same length"
            )
        return [
            dict(zip(batch.keys(), element, strict=True)) for element in zip(*values, strict=True)
        ]
    if isinstance(batch, (list, tuple, Tensor)):
        return list(batch)
    raise ValueError(
        "the batch of outputs to be uncollated is expected to be a dict or list-like "
        f"(Tensor, list, tuple), but got {type(batch).__name__}"
    )


def flash_batch(
    batch: Mapping[str, Any], prediction: Any, paths: Sequence[str] | None = None
) -> dict[str, Any]:
    """Flash's predict batch dict from a fastvid batch and what ``predict_step`` returned.

    Args:
        batch: The batch ``predict_step`` was given (``"video"`` or Flash's ``"input"``).
        prediction: ``predict_step``'s result: Flash's form (a dict with ``"preds"``) is kept;
            fastvid's (a dict with ``"logits"``) or a logits tensor is wrapped.
        paths: The predicted videos' paths by ``video_index`` (for ``metadata["filepath"]``).
            Default: ``None`` (no metadata).

    Raises:
        ValueError: ``prediction`` holds no logits.
    """
    if isinstance(prediction, Mapping) and DataKeys.PREDS in prediction:
        return dict(prediction)
    if isinstance(prediction, Mapping) and "logits" in prediction:
        logits = prediction["logits"]
    elif isinstance(prediction, Tensor):
        logits = prediction
    else:
        raise ValueError(
            "Trainer.predict(output=...) needs the model's predict_step to return logits (a "
            "tensor, or a dict with 'logits' or Flash's 'preds'); got "
            f"{type(prediction).__name__}"
        )
    out: dict[str, Any] = {}
    for key in _VIDEO_KEYS:
        if key in batch:
            out[DataKeys.INPUT.value] = _cpu(batch[key])
            break
    out[DataKeys.PREDS.value] = _cpu(logits)
    for key in _SAMPLE_KEYS:
        if key in batch:
            out[key] = _cpu(batch[key])
    if paths is not None and "video_index" in batch:
        out[DataKeys.METADATA.value] = [{"filepath": paths[int(i)]} for i in batch["video_index"]]
    return out


def _cpu(value: Any) -> Any:
    return value.detach().cpu() if isinstance(value, Tensor) else value


def _predict_paths(trainer: pl.Trainer) -> list[str] | None:
    datamodule = getattr(trainer, "datamodule", None)
    videos = getattr(datamodule, "videos", None)
    if not callable(videos):
        return None
    try:
        return [video.path for video in videos("predict").videos]
    except (KeyError, AttributeError, TypeError):
        return None


class FlashPredictions(Callback):
    """For one ``predict`` run: each batch's predictions → one ``output`` per sample.

    Args:
        output: Applied to each sample's Flash dict (see :mod:`fastvid.integrations.flash.outputs`).
    """

    def __init__(self, output: Output) -> None:
        super().__init__()
        self.output = output
        self._paths: list[str] | None = None
        self._wrapped: pl.LightningModule | None = None

    def on_predict_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.restore()
        self._paths = _predict_paths(trainer)
        step = pl_module.predict_step

        @functools.wraps(step)
        def predict_step(batch: Any, *args: Any, **kwargs: Any) -> Any:
            prediction = step(batch, *args, **kwargs)
            if prediction is None:
                return None
            samples = uncollate(flash_batch(batch, prediction, self._paths))
            return [self.output(sample) for sample in samples]

        pl_module.predict_step = predict_step  # type: ignore[method-assign]
        self._wrapped = pl_module

    def on_predict_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.restore()

    def restore(self) -> None:
        """Give the wrapped model its own ``predict_step`` back (idempotent)."""
        if self._wrapped is not None:
            vars(self._wrapped).pop("predict_step", None)
            self._wrapped = None
