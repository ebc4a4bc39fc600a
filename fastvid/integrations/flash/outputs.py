"""Flash 0.8's prediction outputs: ``Trainer.predict(..., output="labels")`` and friends.

An :class:`Output` turns one sample's prediction into what the user asked for. The sample is Flash's
per-sample dict (``{"input": clip, "preds": logits, "video_name": ..., ...}``, see
:mod:`fastvid.integrations.flash.predict_outputs`) or a bare logits vector. Outputs are looked up by
name in an :class:`OutputRegistry`; a classifier's registry is ``CLASSIFICATION_OUTPUTS +
BASE_OUTPUTS`` (the classification entries first, so ``"preds"`` gives a tensor, as in Flash):

========================  ==================================================================
``"raw"``                 the sample dict as is
``"preds"``               the logits, as a tensor
``"logits"``              the logits, as a list of floats
``"probabilities"``       softmax (sigmoid with ``multi_label``), as a list of floats
``"classes"``             the argmax class index (with ``multi_label``: indices over threshold)
``"labels"``              the class name of ``"classes"`` (falls back to the index, warning)
``"fiftyone"``            a ``fiftyone`` ``Classification`` (needs ``pip install fiftyone``)
========================  ==================================================================
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from fastvid._optional import FIFTYONE_AVAILABLE
from fastvid.data.keys import DataKeys
from fastvid.integrations.flash.registry import NameRegistry

__all__ = [
    "BASE_OUTPUTS",
    "CLASSIFICATION_OUTPUTS",
    "ClassesOutput",
    "ClassificationOutput",
    "FiftyOneLabelsOutput",
    "LabelsOutput",
    "LogitsOutput",
    "Output",
    "OutputRegistry",
    "PredsClassificationOutput",
    "PredsOutput",
    "ProbabilitiesOutput",
    "RawOutput",
]


class Output:
    """Turns one sample's prediction into the returned value; the base returns it unchanged."""

    @classmethod
    def from_task(cls, task: Any, **kwargs: Any) -> Output:
        """This output configured for ``task`` (its ``labels`` and ``multi_label``)."""
        return cls()

    def transform(self, sample: Any) -> Any:
        """Convert one sample's prediction. Default: return it as is."""
        return sample

    def __call__(self, sample: Any) -> Any:
        return self.transform(sample)


OutputRegistry = NameRegistry
"""The registry outputs are looked up in: Flash's registry class, as for optimizers."""


BASE_OUTPUTS = OutputRegistry("output")
CLASSIFICATION_OUTPUTS = OutputRegistry("output")


@BASE_OUTPUTS(name="raw")
class RawOutput(Output):
    """The sample dict unchanged (Flash registers its base ``Output`` as ``"raw"``)."""


@BASE_OUTPUTS(name="preds")
class PredsOutput(Output):
    """The ``"preds"`` entry of a sample dict (anything else unchanged)."""

    def transform(self, sample: Any) -> Any:
        return sample.get(DataKeys.PREDS, sample) if isinstance(sample, dict) else sample


def _preds(sample: Any) -> Tensor:
    if isinstance(sample, Mapping) and DataKeys.PREDS in sample:
        sample = sample[DataKeys.PREDS]
    return sample if isinstance(sample, Tensor) else torch.tensor(sample)


class ClassificationOutput(Output):
    """Base of the classification outputs.

    Args:
        multi_label: Treat predictions as independent per-class logits. Default: ``False``.
    """

    def __init__(self, multi_label: bool = False) -> None:
        self._multi_label = bool(multi_label)

    @classmethod
    def from_task(cls, task: Any, **kwargs: Any) -> Output:
        return cls(multi_label=bool(getattr(task, "multi_label", False)))

    @property
    def multi_label(self) -> bool:
        """Whether predictions are multi-label logits."""
        return self._multi_label


@CLASSIFICATION_OUTPUTS(name="preds")
class PredsClassificationOutput(ClassificationOutput):
    """The logits (a sample dict's ``"preds"``) as a tensor."""

    def transform(self, sample: Any) -> Any:
        return _preds(sample)


@CLASSIFICATION_OUTPUTS(name="logits")
class LogitsOutput(PredsClassificationOutput):
    """The logits as a list of floats."""

    def transform(self, sample: Any) -> Any:
        return _preds(sample).tolist()


@CLASSIFICATION_OUTPUTS(name="probabilities")
class ProbabilitiesOutput(PredsClassificationOutput):
    """Softmax of the logits (sigmoid per class with ``multi_label``) as a list of floats."""

    def transform(self, sample: Any) -> Any:
        logits = _preds(sample)
        probs = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, -1)
        return probs.tolist()


@CLASSIFICATION_OUTPUTS(name="classes")
class ClassesOutput(PredsClassificationOutput):
    """The argmax class index; with ``multi_label``, the indices whose sigmoid exceeds
    ``threshold``.

    Args:
        multi_label: Multi-label logits. Default: ``False``.
        threshold: Sigmoid threshold for ``multi_label``. Default: ``0.5``.
    """

    def __init__(self, multi_label: bool = False, threshold: float = 0.5) -> None:
        super().__init__(multi_label)
        self.threshold = threshold

    def transform(self, sample: Any) -> Any:
        logits = _preds(sample)
        if self.multi_label:
            hot = (logits.sigmoid() > self.threshold).int().tolist()
            return [index for index, value in enumerate(hot) if value == 1]
        return torch.argmax(logits, -1).tolist()


@CLASSIFICATION_OUTPUTS(name="labels")
class LabelsOutput(ClassesOutput):
    """The class name(s) of :class:`ClassesOutput`'s indices.

    Args:
        labels: Class names by index; ``None`` returns indices, with a warning.
            Default: ``None`` (``from_task`` takes the model's ``labels``).
        multi_label: Multi-label logits. Default: ``False``.
        threshold: Sigmoid threshold for ``multi_label``. Default: ``0.5``.
    """

    def __init__(
        self,
        labels: Sequence[str] | None = None,
        multi_label: bool = False,
        threshold: float = 0.5,
    ) -> None:
        super().__init__(multi_label=multi_label, threshold=threshold)
        self._labels = list(labels) if labels is not None else None

    @classmethod
    def from_task(cls, task: Any, **kwargs: Any) -> Output:
        return cls(
            labels=getattr(task, "labels", None),
            multi_label=bool(getattr(task, "multi_label", False)),
        )

    def transform(self, sample: Any) -> Any:
        classes = super().transform(sample)
        if self._labels is None:
            warnings.warn(
                "No labels were provided, this output will act as a Classes output.",
                UserWarning,
                stacklevel=2,
            )
            return classes
        if self.multi_label:
            return [self._labels[index] for index in classes]
        return self._labels[classes]


@CLASSIFICATION_OUTPUTS(name="fiftyone")
class FiftyOneLabelsOutput(ClassificationOutput):
    """A ``fiftyone.core.labels.Classification`` (``Classifications`` with ``multi_label``).

    Args:
        labels: Class names by index; ``None`` uses the index as the label, with a warning.
            Default: ``None``.
        multi_label: Multi-label logits. Default: ``False``.
        threshold: Single label: return ``None`` below this confidence; multi-label: the
            sigmoid threshold. Default: ``None`` (``0.5`` with ``multi_label``).
        store_logits: Keep the logits on the label. Default: ``False``.
        return_filepath: Return ``{"filepath": path, "predictions": label}``. Default: ``True``.

    Raises:
        ModuleNotFoundError: ``fiftyone`` is not installed (``pip install fiftyone``).
    """

    def __init__(
        self,
        labels: Sequence[str] | None = None,
        multi_label: bool = False,
        threshold: float | None = None,
        store_logits: bool = False,
        return_filepath: bool = True,
    ) -> None:
        if not FIFTYONE_AVAILABLE:
            raise ModuleNotFoundError(
                "the 'fiftyone' output needs the fiftyone package: pip install fiftyone"
            )
        if multi_label and threshold is None:
            threshold = 0.5
        super().__init__(multi_label=multi_label)
        self._labels = list(labels) if labels is not None else None
        self.threshold = threshold
        self.store_logits = store_logits
        self.return_filepath = return_filepath

    @classmethod
    def from_task(cls, task: Any, **kwargs: Any) -> Output:
        return cls(
            labels=getattr(task, "labels", None),
            multi_label=bool(getattr(task, "multi_label", False)),
        )

    def _name(self, index: int) -> str:
        return self._labels[index] if self._labels is not None else str(index)

    def transform(self, sample: Any) -> Any:
        import fiftyone.core.labels as fol

        logits = _preds(sample)
        stored = logits.tolist() if self.store_logits else None
        if self._labels is None:
            warnings.warn(
                "No labels were provided, int targets will be used as label strings.",
                UserWarning,
                stacklevel=2,
            )
        label: Any
        if self.multi_label:
            probs = torch.sigmoid(logits).tolist()
            hot = [i for i, p in enumerate(probs) if p > (self.threshold or 0.5)]
            label = fol.Classifications(
                classifications=[
                    fol.Classification(label=self._name(i), confidence=probs[i]) for i in hot
                ],
                logits=stored,
            )
        else:
            probs = torch.softmax(logits, -1).tolist()
            confidence = max(probs)
            below = self.threshold is not None and confidence < self.threshold
            label = None
            if not below:
                label = fol.Classification(
                    label=self._name(probs.index(confidence)), confidence=confidence, logits=stored
                )
        if not self.return_filepath:
            return label
        metadata = sample.get(DataKeys.METADATA) if isinstance(sample, Mapping) else None
        if not isinstance(metadata, Mapping) or "filepath" not in metadata:
            raise ValueError(
                "the fiftyone output returns each prediction's file path, but this sample has "
                "no metadata['filepath'] (predict through a VideoClassificationData); pass "
                "output=FiftyOneLabelsOutput(labels=..., return_filepath=False) instead"
            )
        return {"filepath": metadata["filepath"], "predictions": label}
