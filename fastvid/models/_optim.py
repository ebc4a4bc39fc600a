"""Flash's ``optimizer`` and ``lr_scheduler`` arguments: checked when the task is built, turned
into objects in ``configure_optimizers`` (as Flash 0.8's ``Task.configure_optimizers`` and
``_instantiate_lr_scheduler`` do).

``optimizer``:

* a registry name, any case (``"adam"``, ``"SGD"``; see ``_registries.OPTIMIZERS``);
* ``(name, kwargs)``, e.g. ``("sgd", {"momentum": 0.9})`` (fastvid also takes a class as ``name``);
* an ``Optimizer`` class, a ``functools.partial`` or any ``f(params, **kwargs)``;
* an ``Optimizer`` instance over this model's parameters, used as it is.

``learning_rate``, when not ``None``, is passed as ``lr`` and wins over ``lr`` in the kwargs.

``lr_scheduler``:

* a registry name (``"steplr"``): Lightning's config gets the registry's ``interval``, which is
  ``"step"`` for ``StepLR``, ``MultiStepLR``, ``CosineAnnealingLR``, ``CyclicLR`` and
  ``CosineAnnealingWarmRestarts``, as in Flash;
* ``(name, kwargs)`` and ``(name, kwargs, lightning_config)`` where ``lightning_config`` sets
  ``interval`` / ``frequency`` / ``monitor`` / ``name`` / ``strict`` (fastvid also takes a class
  as ``name``, with the interval its registry name has);
* a class, ``functools.partial`` or ``f(optimizer)``: ``interval="epoch"``; a function may
  return a whole Lightning scheduler dict instead of a scheduler;
* a scheduler instance, when ``optimizer`` is the instance it schedules.

``ReduceLROnPlateau`` monitors ``"val_loss"`` unless told otherwise (Flash left the monitor
unset, which Lightning rejects).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from fastvid.models._registries import NameRegistry, scheduler_interval

__all__ = [
    "build_lr_scheduler",
    "build_optimizer",
    "check_lr_scheduler",
    "check_optimizer",
]

# Lightning 2's scheduler config keys (Flash also had "opt_idx", which Lightning 2 dropped).
_DEFAULT_CONFIG: dict[str, Any] = {
    "scheduler": None,
    "name": None,
    "interval": "epoch",
    "frequency": 1,
    "reduce_on_plateau": False,
    "monitor": None,
    "strict": True,
}
_DROPPED_KEYS = ("opt_idx",)
_OPTIMIZER_FORMS = (
    "a name from VideoClassifier.available_optimizers(), (name, kwargs), an Optimizer class, "
    "a factory f(params, **kwargs) or an Optimizer instance"
)
_SCHEDULER_FORMS = (
    "None, a name from VideoClassifier.available_lr_schedulers(), (name, kwargs), "
    "(name, kwargs, lightning_config), a scheduler class or a factory f(optimizer)"
)


class _Parsed(NamedTuple):
    fn: Any  # a factory, or an instance used as it is
    kwargs: dict[str, Any]
    config: dict[str, Any]


def _lookup(registry: NameRegistry, key: str) -> dict[str, Any]:
    found: dict[str, Any] = registry.get(key if key in registry else key.lower(), True)
    return found


# ---------------------------------------------------------------------------- optimizer


def _parse_optimizer(optimizer: object, registry: NameRegistry) -> _Parsed:
    if isinstance(optimizer, str):
        return _Parsed(_lookup(registry, optimizer)["fn"], {}, {})
    if isinstance(optimizer, tuple | list):
        if len(optimizer) != 2:
            raise TypeError(f"optimizer {optimizer!r} as a tuple must be (name, kwargs)")
        name, kwargs = optimizer
        if not isinstance(kwargs, Mapping):
            raise TypeError(f"optimizer {optimizer!r}: the kwargs must be a dict, not {kwargs!r}")
        if isinstance(name, str):
            fn = _lookup(registry, name)["fn"]
        elif isinstance(name, type) and issubclass(name, Optimizer):
            fn = name
        else:
            raise TypeError(f"optimizer {optimizer!r}: the name must be a str, not {name!r}")
        return _Parsed(fn, dict(kwargs), {})
    if isinstance(optimizer, Optimizer) or callable(optimizer):
        return _Parsed(optimizer, {}, {})
    raise TypeError(f"optimizer must be {_OPTIMIZER_FORMS}; got {optimizer!r}")


def check_optimizer(optimizer: object, registry: NameRegistry) -> None:
    """Raise ``TypeError`` / ``UnknownNameError`` unless ``optimizer`` is one of Flash's forms."""
    _parse_optimizer(optimizer, registry)


def build_optimizer(
    optimizer: object,
    module: nn.Module,
    *,
    learning_rate: float | None,
    extra_kwargs: Mapping[str, Any],
    registry: NameRegistry,
) -> Optimizer:
    """The optimizer over ``module``'s trainable parameters.

    Args:
        optimizer: One of the forms in this module's docstring.
        module: The model.
        learning_rate: Passed as ``lr`` when not ``None``.
        extra_kwargs: fastvid's ``optimizer_kwargs``, over the tuple's kwargs.
        registry: Where names are looked up.
    """
    parsed = _parse_optimizer(optimizer, registry)
    if isinstance(parsed.fn, Optimizer):
        _check_instance_params(parsed.fn, module.parameters())
        return parsed.fn
    kwargs = {**parsed.kwargs, **extra_kwargs}
    if learning_rate is not None:
        kwargs["lr"] = learning_rate
    params = [p for p in module.parameters() if p.requires_grad]
    built = parsed.fn(params, **kwargs)
    if not isinstance(built, Optimizer):
        raise TypeError(f"optimizer factory {parsed.fn!r} returned {built!r}, not an Optimizer")
    return built


def _check_instance_params(optimizer: Optimizer, params: Iterable[nn.Parameter]) -> None:
    own = {id(p) for p in params}
    foreign = sum(id(p) not in own for g in optimizer.param_groups for p in g["params"])
    if foreign:
        raise ValueError(
            f"the optimizer instance holds {foreign} parameters that are not this model's; "
            "build it over the model's parameters, or pass its class or name instead"
        )


# ---------------------------------------------------------------------------- scheduler


def _registry_config(metadata: Mapping[str, Any]) -> dict[str, Any]:
    # Flash: ``config[key] = metadata.pop(key, None) or default`` for each default key.
    return {key: metadata.get(key) or value for key, value in _DEFAULT_CONFIG.items()}


def _check_config(config: Mapping[str, Any], where: object) -> None:
    unknown = set(config) - set(_DEFAULT_CONFIG) - set(_DROPPED_KEYS)
    if unknown:
        raise ValueError(
            f"lr_scheduler {where!r}: unknown Lightning config keys {sorted(unknown)}; "
            f"use {sorted(k for k in _DEFAULT_CONFIG if k != 'scheduler')}"
        )
    if config.get("interval", "epoch") not in ("step", "epoch"):
        raise ValueError(
            f"lr_scheduler {where!r}: interval {config['interval']!r} must be 'step' or 'epoch'"
        )
    frequency = config.get("frequency", 1)
    if not isinstance(frequency, int) or isinstance(frequency, bool) or frequency < 1:
        raise ValueError(f"lr_scheduler {where!r}: frequency {frequency!r} must be an int >= 1")


def _parse_scheduler(lr_scheduler: object, registry: NameRegistry) -> _Parsed:
    if isinstance(lr_scheduler, str):
        entry = _lookup(registry, lr_scheduler)
        return _Parsed(entry["fn"], {}, _registry_config(entry["metadata"]))
    if isinstance(lr_scheduler, tuple | list):
        if len(lr_scheduler) not in (2, 3):
            raise TypeError(
                f"lr_scheduler {lr_scheduler!r} as a tuple must be (name, kwargs) or "
                "(name, kwargs, lightning_config)"
            )
        name, kwargs, *rest = lr_scheduler
        if not isinstance(kwargs, Mapping) or not all(isinstance(r, Mapping) for r in rest):
            raise TypeError(
                f"lr_scheduler {lr_scheduler!r}: kwargs and lightning_config must be dicts"
            )
        if isinstance(name, str):
            entry = _lookup(registry, name)
            fn, config = entry["fn"], _registry_config(entry["metadata"])
        elif callable(name):
            fn, config = name, {**_DEFAULT_CONFIG, "interval": scheduler_interval(name)}
        else:
            raise TypeError(
                f"lr_scheduler {lr_scheduler!r}: the name must be a str or a class, not {name!r}"
            )
        if rest:
            _check_config(rest[0], lr_scheduler)
            config.update(rest[0])
        return _Parsed(fn, dict(kwargs), config)
    if isinstance(lr_scheduler, LRScheduler | ReduceLROnPlateau) or callable(lr_scheduler):
        return _Parsed(lr_scheduler, {}, dict(_DEFAULT_CONFIG))
    raise TypeError(f"lr_scheduler must be {_SCHEDULER_FORMS}; got {lr_scheduler!r}")


def check_lr_scheduler(lr_scheduler: object, registry: NameRegistry) -> None:
    """Raise ``TypeError`` / ``ValueError`` unless ``lr_scheduler`` is one of Flash's forms."""
    if lr_scheduler is not None:
        _parse_scheduler(lr_scheduler, registry)


def build_lr_scheduler(
    lr_scheduler: object, optimizer: Optimizer, *, registry: NameRegistry
) -> dict[str, Any]:
    """Lightning's scheduler config (``{"scheduler": ..., "interval": ..., ...}``).

    Args:
        lr_scheduler: One of the forms in this module's docstring (not ``None``).
        optimizer: The optimizer it schedules.
        registry: Where names are looked up.
    """
    parsed = _parse_scheduler(lr_scheduler, registry)
    if isinstance(parsed.fn, LRScheduler | ReduceLROnPlateau):
        if parsed.fn.optimizer is not optimizer:
            raise ValueError(
                "a scheduler instance must schedule the optimizer instance passed as optimizer="
                "; otherwise pass its class, name or (name, kwargs)"
            )
        made: object = parsed.fn
    else:
        made = parsed.fn(optimizer, **parsed.kwargs)
    config: dict[str, Any]
    if isinstance(made, Mapping):  # a registered function returned Lightning's whole config
        _check_config(made, lr_scheduler)
        config = {k: v for k, v in made.items() if k not in _DROPPED_KEYS}
    elif isinstance(made, LRScheduler | ReduceLROnPlateau):
        config = {k: v for k, v in parsed.config.items() if k not in _DROPPED_KEYS}
        config["scheduler"] = made
    else:
        raise TypeError(
            f"lr_scheduler {lr_scheduler!r} made {made!r}, not a scheduler or a config dict"
        )
    if isinstance(config.get("scheduler"), ReduceLROnPlateau):
        config["reduce_on_plateau"] = True
        config["monitor"] = config.get("monitor") or "val_loss"
    return config
