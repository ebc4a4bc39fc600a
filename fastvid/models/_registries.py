"""Flash's name registries: optimizers and LR schedulers.

:class:`NameRegistry` has the surface of Flash 0.8's ``FlashRegistry`` that users touch:
register a function under a name (``@registry`` or ``registry(fn, name=..., **metadata)``),
``get(name, with_metadata=...)``, ``available_keys()``, ``in`` and ``remove``. An unknown name
raises :class:`UnknownNameError`, which is both the ``KeyError`` Flash raised and the
``ValueError`` fastvid raises for bad values, and lists close matches.

The two built-in registries hold what Flash 0.8's held on current torch:

* :data:`OPTIMIZERS`: every ``torch.optim`` optimizer by its lower-case class name (``"sgd"``
  requires a learning rate, as in Flash);
* :data:`LR_SCHEDULERS`: every ``torch.optim.lr_scheduler`` scheduler by its lower-case class
  name, with Flash's ``interval`` metadata: ``"step"`` for ``StepLR``, ``MultiStepLR``,
  ``CosineAnnealingLR``, ``CyclicLR`` and ``CosineAnnealingWarmRestarts`` (Lightning then steps
  them after every optimizer step), ``"epoch"`` for the others.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from typing import Any

import torch
from torch.optim import lr_scheduler

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


class UnknownNameError(KeyError, ValueError):
    """A name that is not in a registry (a ``KeyError`` as in Flash, and a ``ValueError``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NameRegistry:
    """Functions (or classes) by name, each with a metadata dict.

    Args:
        name: What the registry holds, used in error messages (``"optimizer"``).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, dict[str, Any]] = {}

    def __call__(
        self,
        fn: Callable[..., Any] | None = None,
        name: str | None = None,
        override: bool = False,
        **metadata: Any,
    ) -> Any:
        """Register ``fn`` (or, without ``fn``, return a decorator that registers).

        Args:
            fn: The function or class. Default: ``None`` (decorator form).
            name: Its key. Default: ``None`` (``fn.__name__``).
            override: Replace an entry of the same name. Default: ``False``.
            **metadata: Stored beside it (``interval="step"`` for a scheduler).
        """
        if fn is None:
            return functools.partial(self, name=name, override=override, **metadata)
        if not callable(fn):
            raise TypeError(f"only callables can be registered in the {self.name} registry: {fn!r}")
        key = name if name is not None else getattr(fn, "__name__", None)
        if not isinstance(key, str) or not key:
            raise ValueError(f"cannot name {fn!r}; pass name='...'")
        if key in self._entries and not override:
            raise ValueError(
                f"{key!r} is already in the {self.name} registry; pass override=True to replace it"
            )
        self._entries[key] = {"fn": fn, "name": key, "metadata": dict(metadata)}
        return fn

    def get(self, key: str, with_metadata: bool = False) -> Any:
        """The entry ``key``: its function, or ``{"fn", "name", "metadata"}`` with metadata.

        Raises:
            UnknownNameError: ``key`` is not registered; lists close matches or all names.
        """
        entry = self._entries.get(key) if isinstance(key, str) else None
        if entry is None:
            names = self.available_keys()
            wanted = str(key).lower()
            close = [n for n in names if n.startswith(wanted)] or difflib.get_close_matches(
                wanted, names, n=5, cutoff=0.6
            )
            hint = f"did you mean {close}? " if close else ""
            raise UnknownNameError(f"unknown {self.name} {key!r}; {hint}available: {names}")
        if with_metadata:
            return {**entry, "metadata": dict(entry["metadata"])}
        return entry["fn"]

    def remove(self, key: str) -> None:
        """Forget ``key`` (no error if it is not registered)."""
        self._entries.pop(key, None)

    def available_keys(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"NameRegistry({self.name!r}, {self.available_keys()})"


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
