"""Flash's name registries: optimizers and LR schedulers.

:class:`~fastvid.integrations.flash.registry.NameRegistry` (Flash 0.8's ``FlashRegistry``
surface, the one registry class; the prediction outputs use it too) holds them; an unknown name
raises :class:`~fastvid.integrations.flash.registry.UnknownNameError`, which is both the
``KeyError`` Flash raised and the ``ValueError`` fastvid raises for bad values, and lists close
matches.

The two built-in registries hold what Flash 0.8's held on current torch:

* :data:`OPTIMIZERS`: every ``torch.optim`` optimizer by its lower-case class name (``"sgd"``
  requires a learning rate, as in Flash);
* :data:`LR_SCHEDULERS`: every ``torch.optim.lr_scheduler`` scheduler by its lower-case class
  name, with Flash's ``interval`` metadata: ``"step"`` for ``StepLR``, ``MultiStepLR``,
  ``CosineAnnealingLR``, ``CyclicLR`` and ``CosineAnnealingWarmRestarts`` (Lightning then steps
  them after every optimizer step), ``"epoch"`` for the others.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch.optim import lr_scheduler

from fastvid.integrations.flash.registry import NameRegistry, UnknownNameError

__all__ = [
    "LR_SCHEDULERS",
    "OPTIMIZERS",
    "STEP_SCHEDULERS",
    "NameRegistry",
    "UnknownNameError",
    "scheduler_interval",
]

# Schedulers Flash registers with interval="step" (flash/core/optimizers/schedulers.py).
STEP_SCHEDULERS: tuple[type, ...] = (
    lr_scheduler.StepLR,
    lr_scheduler.MultiStepLR,
    lr_scheduler.CosineAnnealingLR,
    lr_scheduler.CyclicLR,
    lr_scheduler.CosineAnnealingWarmRestarts,
)


def _sgd(params: Any, lr: float | None = None, **kwargs: Any) -> torch.optim.Optimizer:
    """``torch.optim.SGD`` that, as in Flash, needs an explicit learning rate."""
    if lr is None:
        raise TypeError(
            "optimizer 'sgd' needs a learning rate: pass learning_rate=0.01 (or "
            "optimizer=('sgd', {'lr': 0.01}))"
        )
    return torch.optim.SGD(params, lr, **kwargs)


def _public_subclasses(module: object, base: type) -> list[type]:
    return [
        obj
        for name, obj in vars(module).items()
        if inspect.isclass(obj) and issubclass(obj, base) and obj is not base
        if not name.startswith("_") and obj.__module__.startswith("torch.")
    ]


def scheduler_interval(scheduler: object) -> str:
    """Flash's ``interval`` for a scheduler class: ``"step"`` or ``"epoch"``."""
    is_step = inspect.isclass(scheduler) and issubclass(scheduler, STEP_SCHEDULERS)
    return "step" if is_step else "epoch"


OPTIMIZERS = NameRegistry("optimizer")
for _cls in _public_subclasses(torch.optim, torch.optim.Optimizer):
    OPTIMIZERS(_sgd if _cls is torch.optim.SGD else _cls, name=_cls.__name__.lower())

LR_SCHEDULERS = NameRegistry("lr_scheduler")
for _cls in _public_subclasses(lr_scheduler, lr_scheduler.LRScheduler):
    LR_SCHEDULERS(_cls, name=_cls.__name__.lower(), interval=scheduler_interval(_cls))
if "reducelronplateau" not in LR_SCHEDULERS:  # not an LRScheduler before torch 2.2
    LR_SCHEDULERS(lr_scheduler.ReduceLROnPlateau, name="reducelronplateau", interval="epoch")
