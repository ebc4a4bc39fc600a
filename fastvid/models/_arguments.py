"""Flash's ``VideoClassifier`` arguments turned into objects: losses, metrics, head, and the
checks of the class count, labels and learning rate (optimizers and schedulers: ``_optim``).

Losses and metrics take Flash 0.8's forms and get Flash's names (``get_callable_name``: the
function's ``__name__`` or the object's class name, lower-cased), which the steps log as
``train_<name>``, ``val_<name>``, ``test_<name>``:

* ``loss_fn``: a callable (``F.cross_entropy`` → ``cross_entropy``, ``nn.CrossEntropyLoss()``
  → ``crossentropyloss``), a ``{name: loss}`` dict or a list; several losses are summed.
* ``metrics``: a torchmetrics ``Metric`` (its task prefix dropped, so ``MulticlassAccuracy`` is
  ``accuracy`` as Flash's ``Accuracy()`` was), a ``Metric`` class (built for this task), a plain
  ``f(probabilities, target)``, or a list or ``{name: metric}`` dict of those.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import Accuracy, F1Score, Metric

from fastvid._validate import check_int, check_positive_real
from fastvid.models.heads import linear_head

__all__ = [
    "Head",
    "LossFn",
    "MetricsArg",
    "build_metrics",
    "callable_name",
    "check_labels",
    "check_learning_rate",
    "check_num_classes",
    "resolve_head",
    "resolve_losses",
]

LossFn = Callable[[Tensor, Tensor], Tensor]
Head = nn.Module | Callable[[Tensor], Tensor]
MetricFn = Metric | type[Metric] | Callable[[Tensor, Tensor], Any]
MetricsArg = MetricFn | Mapping[str, MetricFn] | Sequence[MetricFn] | None

_TASK_PREFIX = re.compile(r"^(Multiclass|Multilabel|Binary)(?=[A-Z])")


def callable_name(fn: object) -> str:
    """Flash's name for a loss or metric: ``__name__`` or the class name, lower-cased
    (torchmetrics' ``Multiclass`` / ``Multilabel`` / ``Binary`` prefix dropped)."""
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        name = type(fn).__name__
    if isinstance(fn, Metric) or (isinstance(fn, type) and issubclass(fn, Metric)):
        name = _TASK_PREFIX.sub("", name)
    return name.lower()


def _named(value: object, what: str) -> list[tuple[object, object]]:
    """Flash's ``get_callable_dict``: one callable, a mapping, or a sequence → (name, fn) pairs."""
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [(callable_name(v), v) for v in value]
    if callable(value):
        return [(callable_name(value), value)]
    raise TypeError(f"{what} must be a callable, a list or a {{name: ...}} dict, got {value!r}")


def _unique(pairs: list[tuple[object, object]], what: str) -> dict[str, Any]:
    named: dict[str, Any] = {}
    for name, fn in pairs:
        if not isinstance(name, str) or not name:
            raise TypeError(f"{what} names must be non-empty str, got {name!r}")
        if name in named:
            raise ValueError(f"two {what} are both named {name!r}; pass a {{name: ...}} dict")
        named[name] = fn
    if not named:
        raise ValueError(f"{what} is empty; pass None for the default")
    return named


def check_labels(labels: Sequence[str] | None) -> list[str] | None:
    """The class names as a list (``None`` stays ``None``); ``TypeError`` unless all are str."""
    if labels is None:
        return None
    if isinstance(labels, str) or not all(isinstance(label, str) for label in labels):
        raise TypeError(f"labels must be a sequence of str, got {labels!r}")
    return list(labels)


def check_num_classes(num_classes: int | None, labels: list[str] | None) -> int:
    """``num_classes``, or ``len(labels)`` when it is ``None``; the two must agree."""
    if num_classes is None:
        if labels is None:
            raise ValueError("pass num_classes or labels (e.g. num_classes=datamodule.num_classes)")
        num_classes = len(labels)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    if labels is not None and len(labels) != num_classes:
        raise ValueError(f"num_classes ({num_classes}) != len(labels) ({len(labels)})")
    return num_classes


def check_learning_rate(learning_rate: float | None) -> float | None:
    """A learning rate > 0 as a float; ``None`` keeps the optimizer's default."""
    if learning_rate is None:
        return None
    return float(check_positive_real("learning_rate", learning_rate))


def resolve_head(head: Head | None, num_features: int | None, num_classes: int) -> Head:
    """``head``, or Flash's ``linear_head(num_features, num_classes)``."""
    if head is None:
        if num_features is None:
            raise ValueError(
                "cannot size the default head: the backbone module has no int `num_features`; "
                "pass head=nn.Linear(<feature width>, num_classes) or set backbone.num_features"
            )
        return linear_head(num_features, num_classes)
    if not callable(head):
        raise TypeError(f"head must be an nn.Module or a callable, got {head!r}")
    return head


def resolve_losses(loss_fn: object, multi_label: bool) -> dict[str, LossFn]:
    """``loss_fn`` as Flash's ``{name: loss}`` dict; default: ``cross_entropy`` (with
    ``multi_label``, ``binary_cross_entropy_with_logits``)."""
    if loss_fn is None:
        loss_fn = F.binary_cross_entropy_with_logits if multi_label else F.cross_entropy
    losses = _unique(_named(loss_fn, "loss_fn"), "loss_fn")
    for name, fn in losses.items():
        if not callable(fn):
            raise TypeError(f"loss_fn {name!r} must be callable, got {fn!r}")
    return losses


def _build_metric_class(cls: type[Metric], num_classes: int, multi_label: bool) -> Metric:
    wanted = inspect.signature(cls).parameters
    candidates = {
        "task": "multilabel" if multi_label else "multiclass",
        "num_classes": num_classes,
        "num_labels": num_classes,
    }
    kwargs = {k: v for k, v in candidates.items() if k in wanted}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"cannot build metric {cls.__name__}({kwargs}): {error}; pass an instance instead"
        ) from error


def build_metrics(
    metrics: MetricsArg, num_classes: int, multi_label: bool
) -> tuple[dict[str, Metric], dict[str, Callable[[Tensor, Tensor], Any]]]:
    """The metrics by Flash's names, split into torchmetrics ``Metric`` objects and plain
    functions ``f(probabilities, target)``; default: multiclass ``Accuracy`` (``accuracy``), or
    multi-label ``F1Score`` (``f1score``) with ``multi_label``."""
    if metrics is None:
        metrics = (
            F1Score(task="multilabel", num_labels=num_classes)
            if multi_label
            else Accuracy(task="multiclass", num_classes=num_classes)
        )
    named = _unique(_named(metrics, "metrics"), "metrics")
    modules: dict[str, Metric] = {}
    functions: dict[str, Callable[[Tensor, Tensor], Any]] = {}
    for name, metric in named.items():
        if isinstance(metric, type) and issubclass(metric, Metric):
            modules[name] = _build_metric_class(metric, num_classes, multi_label)
        elif isinstance(metric, Metric):
            modules[name] = metric
        elif callable(metric):
            functions[name] = metric
        else:
            raise TypeError(
                f"metric {name!r} must be a torchmetrics Metric or callable: {metric!r}"
            )
    return modules, functions
