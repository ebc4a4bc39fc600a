"""Flash's ``VideoClassifier`` arguments turned into objects: optimizer, scheduler, loss, head,
metrics, and the checks of the class count, labels and learning rate.

Each accepts what Flash accepted: a ``torch.optim`` name (any case), a class or a factory for
the optimizer and the scheduler; a torchmetrics ``Metric``, a list or a ``{name: metric}``
dict for the metrics.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from torchmetrics import Accuracy, F1Score, Metric, MetricCollection

from fastvid._validate import check_callable, check_int, check_positive_real
from fastvid.models.heads import linear_head

__all__ = [
    "Head",
    "LossFn",
    "MetricsArg",
    "SchedulerSpec",
    "build_metrics",
    "check_labels",
    "check_learning_rate",
    "check_num_classes",
    "resolve_head",
    "resolve_loss_fn",
    "resolve_optimizer",
    "resolve_scheduler",
]

LossFn = Callable[[Tensor, Tensor], Tensor]
Head = nn.Module | Callable[[Tensor], Tensor]
MetricsArg = Metric | Mapping[str, Metric] | Sequence[Metric] | None


class SchedulerSpec(NamedTuple):
    """A scheduler factory, its keyword arguments and Lightning's scheduler config."""

    factory: Callable[..., Any]
    kwargs: dict[str, Any]
    config: dict[str, Any]


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


def _optimizer_classes() -> dict[str, type[Optimizer]]:
    return {
        name.lower(): obj
        for name, obj in vars(torch.optim).items()
        if isinstance(obj, type) and issubclass(obj, Optimizer) and obj is not Optimizer
    }


def resolve_optimizer(optimizer: object) -> Callable[..., Optimizer]:
    """A ``torch.optim`` name (any case), an ``Optimizer`` class or a factory → a factory."""
    if isinstance(optimizer, str):
        classes = _optimizer_classes()
        found = classes.get(optimizer.lower())
        if found is None:
            names = sorted(cls.__name__ for cls in classes.values())
            raise ValueError(f"unknown optimizer {optimizer!r}; torch.optim has {names}")
        return found
    if callable(optimizer):
        return optimizer
    raise TypeError(
        f"optimizer must be a torch.optim name, an Optimizer class or a factory, got {optimizer!r}"
    )


def _scheduler_classes() -> dict[str, type]:
    return {
        name.lower(): obj
        for name, obj in vars(torch.optim.lr_scheduler).items()
        if isinstance(obj, type)
        and issubclass(obj, LRScheduler | ReduceLROnPlateau)
        and not name.startswith("_")
        and obj is not LRScheduler
    }


def _scheduler_factory(scheduler: object) -> Callable[..., Any]:
    if isinstance(scheduler, str):
        classes = _scheduler_classes()
        found = classes.get(scheduler.lower())
        if found is None:
            names = sorted(cls.__name__ for cls in classes.values())
            raise ValueError(
                f"unknown lr_scheduler {scheduler!r}; torch.optim.lr_scheduler has {names}"
            )
        return found
    if callable(scheduler):
        return scheduler
    raise TypeError(f"lr_scheduler must be a name, a class or a factory, got {scheduler!r}")


def resolve_scheduler(lr_scheduler: object) -> SchedulerSpec | None:
    """``None``, a scheduler (name, class or factory), ``(scheduler, kwargs)`` or
    ``(scheduler, kwargs, lightning_config)`` → a :class:`SchedulerSpec`."""
    if lr_scheduler is None:
        return None
    if isinstance(lr_scheduler, tuple | list):
        if len(lr_scheduler) not in (2, 3):
            raise ValueError(
                f"lr_scheduler tuple ({lr_scheduler!r}) must be (scheduler, kwargs) or "
                "(scheduler, kwargs, lightning_config)"
            )
        kwargs, config = lr_scheduler[1], lr_scheduler[2] if len(lr_scheduler) == 3 else {}
        if not isinstance(kwargs, Mapping) or not isinstance(config, Mapping):
            raise TypeError(
                f"lr_scheduler kwargs and lightning_config must be dicts, got {lr_scheduler!r}"
            )
        factory = _scheduler_factory(lr_scheduler[0])
        return SchedulerSpec(factory, dict(kwargs), dict(config))
    return SchedulerSpec(_scheduler_factory(lr_scheduler), {}, {})


def resolve_loss_fn(loss_fn: LossFn | None, multi_label: bool) -> LossFn:
    """``loss_fn``, or cross-entropy (binary cross-entropy with logits for ``multi_label``)."""
    if loss_fn is None:
        return F.binary_cross_entropy_with_logits if multi_label else F.cross_entropy
    return check_callable("loss_fn", loss_fn)


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


_TASK_PREFIX = re.compile(r"^(Multiclass|Multilabel|Binary)(?=[A-Z])")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _metric_name(metric: Metric) -> str:
    name = _TASK_PREFIX.sub("", type(metric).__name__)
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def build_metrics(metrics: MetricsArg, num_classes: int, multi_label: bool) -> MetricCollection:
    """The metrics as a ``MetricCollection`` named ``accuracy``, ``f1_score``, ... (or the dict's
    keys); default: multiclass ``Accuracy`` (``F1Score`` for ``multi_label``)."""
    if metrics is None:
        metrics = (
            F1Score(task="multilabel", num_labels=num_classes)
            if multi_label
            else Accuracy(task="multiclass", num_classes=num_classes)
        )
    items: list[tuple[object, object]]
    if isinstance(metrics, Metric):
        items = [(_metric_name(metrics), metrics)]
    elif isinstance(metrics, Mapping):
        items = list(metrics.items())
    elif isinstance(metrics, Sequence) and not isinstance(metrics, str):
        items = [(_metric_name(m) if isinstance(m, Metric) else None, m) for m in metrics]
    else:
        raise TypeError(f"metrics must be a torchmetrics Metric, a list or a dict, got {metrics!r}")
    named: dict[str, Metric | MetricCollection] = {}
    for name, metric in items:
        if not isinstance(name, str) or not isinstance(metric, Metric):
            raise TypeError(f"metrics must be torchmetrics Metric instances, got {metrics!r}")
        if name in named:
            raise ValueError(f"two metrics are both named {name!r}; pass a {{name: metric}} dict")
        named[name] = metric
    return MetricCollection(named)
