"""Finetuning strategies: which backbone parameters train at which epoch.

Lightning Flash's four strategies as Lightning ``BaseFinetuning`` callbacks. They act on the
LightningModule's ``backbone`` attribute (an ``nn.Module``); everything else (the head) always
trains.

============================================  ==============================================
``"no_freeze"``                               everything trains from the start
``"freeze"``                                  the backbone never trains
``("freeze_unfreeze", n)``                    the backbone trains from epoch ``n``
``("unfreeze_milestones", ((m1, m2), k))``    the last ``k`` backbone layers train from epoch
                                              ``m1``, all of them from epoch ``m2``
============================================  ==============================================

As in Flash, unfrozen parameters join the optimizer's first parameter group (same learning rate
as the head), and BatchNorm layers keep training while frozen unless ``train_bn=False``.
Differences from Flash: a strategy applies from its epoch *on* (not only *at* it), so a run
resumed past the unfreeze epoch trains the backbone too; ``k`` counts layers that hold
parameters (convolutions, norms, linears), not parameter-less leaves such as activations; and
unfrozen BatchNorm layers join the optimizer even with ``train_bn=False`` (Flash made them
require gradients but never stepped them); and resuming from a checkpoint taken after an
unfreeze works (Flash's grown parameter group no longer matched the saved optimizer state).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import BaseFinetuning
from torch import nn
from torch.optim import Optimizer
from typing_extensions import override  # a dependency of torch and Lightning

from fastvid._validate import check_bool, check_int, check_positive_int

__all__ = [
    "Freeze",
    "FreezeUnfreeze",
    "NoFreeze",
    "UnfreezeMilestones",
    "finetuning_strategy_names",
    "make_finetuning_callback",
]

_ACCEPTED_FORMS = (
    '"no_freeze", "freeze", ("freeze_unfreeze", unfreeze_epoch), '
    '("unfreeze_milestones", ((epoch_last_layers, epoch_all_layers), num_layers)) '
    "or a pytorch_lightning.callbacks.BaseFinetuning instance"
)


def _backbone(pl_module: pl.LightningModule) -> nn.Module:
    backbone = getattr(pl_module, "backbone", None)
    if not isinstance(backbone, nn.Module):
        raise AttributeError(
            f"finetuning strategies need the model's `backbone` attribute to be an nn.Module; "
            f"{type(pl_module).__name__}.backbone is {type(backbone).__name__}"
        )
    return backbone


def _layers_with_parameters(module: nn.Module) -> list[nn.Module]:
    return [
        m
        for m in BaseFinetuning.flatten_modules(module)
        if any(p is not None for p in m._parameters.values())
    ]


class _BackboneFinetuning(BaseFinetuning):
    """Shared logic: freeze the backbone before training, unfreeze parts of it later."""

    freezes_backbone: bool = True

    def __init__(self, *, train_bn: bool = True) -> None:
        super().__init__()
        self.train_bn = check_bool("train_bn", train_bn)

    @override
    def freeze_before_training(self, pl_module: pl.LightningModule) -> None:
        if self.freezes_backbone:
            self.freeze(_backbone(pl_module), train_bn=self.train_bn)

    @override
    def finetune_function(
        self, pl_module: pl.LightningModule, epoch: int, optimizer: Optimizer
    ) -> None:
        for modules in self._modules_to_unfreeze(_backbone(pl_module), epoch):
            self._unfreeze_into_first_group(modules, optimizer)

    def _modules_to_unfreeze(self, backbone: nn.Module, epoch: int) -> list[list[nn.Module]]:
        return []

    def _unfreeze_into_first_group(
        self, modules: Iterable[nn.Module], optimizer: Optimizer
    ) -> None:
        # Flash extends the first group rather than adding one, so schedulers that hold one
        # learning rate per group keep working. Membership is by identity: Lightning's
        # `filter_on_optimizer` compares values and would drop a parameter equal to another.
        # Unfrozen BatchNorm layers train too (`train_bn` is about the frozen phase): Flash
        # made them require grad but left them out of the optimizer.
        modules = list(modules)
        self.make_trainable(modules)
        present = {id(p) for group in optimizer.param_groups for p in group["params"]}
        new = [
            p
            for p in self.filter_params(modules, train_bn=True, requires_grad=True)
            if id(p) not in present
        ]
        new = list({id(p): p for p in new}.values())
        if new:
            optimizer.param_groups[0]["params"].extend(new)

    @override
    def _store(
        self,
        pl_module: pl.LightningModule,
        opt_idx: int,
        num_param_groups: int,
        current_param_groups: list[dict[str, Any]],
    ) -> None:
        # Lightning records only groups added since the last epoch; this callback grows the
        # first group instead, so record every group each time. Resuming from a checkpoint
        # then rebuilds the optimizer with the unfrozen parameters before loading its state.
        mapping = {p: n for n, p in pl_module.named_parameters()}
        self._internal_optimizer_metadata[opt_idx] = self._apply_mapping_to_param_groups(
            current_param_groups, mapping
        )

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        return f"{type(self).__name__}({options})"

    def _options(self) -> dict[str, Any]:
        return {"train_bn": self.train_bn}


class NoFreeze(_BackboneFinetuning):
    """Train the whole model from the first epoch.

    Args:
        train_bn: Unused (nothing is frozen); kept for a uniform signature. Default: ``True``.
    """

    freezes_backbone = False


class Freeze(_BackboneFinetuning):
    """Keep the backbone frozen for the whole run; only the head trains.

    Args:
        train_bn: Keep the backbone's BatchNorm layers trainable. Default: ``True``.
    """


class FreezeUnfreeze(_BackboneFinetuning):
    """Freeze the backbone, then train all of it from epoch ``unfreeze_epoch`` on.

    Args:
        unfreeze_epoch: First epoch (0-based) in which the backbone trains.
        train_bn: Keep the backbone's BatchNorm layers trainable while frozen. Default: ``True``.
    """

    def __init__(self, unfreeze_epoch: int, *, train_bn: bool = True) -> None:
        super().__init__(train_bn=train_bn)
        self.unfreeze_epoch = check_int("unfreeze_epoch", unfreeze_epoch, minimum=0)

    @override
    def _modules_to_unfreeze(self, backbone: nn.Module, epoch: int) -> list[list[nn.Module]]:
        return [[backbone]] if epoch >= self.unfreeze_epoch else []

    @override
    def _options(self) -> dict[str, Any]:
        return {"unfreeze_epoch": self.unfreeze_epoch, "train_bn": self.train_bn}


class UnfreezeMilestones(_BackboneFinetuning):
    """Freeze the backbone; train its last ``num_layers`` layers from ``milestones[0]`` on, and
    all of it from ``milestones[1]`` on.

    Args:
        milestones: ``(epoch_last_layers, epoch_all_layers)``, 0-based, non-decreasing.
        num_layers: How many of the backbone's last layers with parameters unfreeze first.
        train_bn: Keep the backbone's BatchNorm layers trainable while frozen. Default: ``True``.
    """

    def __init__(
        self, milestones: tuple[int, int], num_layers: int, *, train_bn: bool = True
    ) -> None:
        super().__init__(train_bn=train_bn)
        self.milestones = _validate_milestones(milestones)
        self.num_layers = check_positive_int("num_layers", num_layers)

    @override
    def _modules_to_unfreeze(self, backbone: nn.Module, epoch: int) -> list[list[nn.Module]]:
        first, second = self.milestones
        if epoch >= second:
            return [[backbone]]
        if epoch >= first:
            return [_layers_with_parameters(backbone)[-self.num_layers :]]
        return []

    @override
    def _options(self) -> dict[str, Any]:
        return {
            "milestones": self.milestones,
            "num_layers": self.num_layers,
            "train_bn": self.train_bn,
        }


def _validate_milestones(milestones: object) -> tuple[int, int]:
    if not isinstance(milestones, tuple | list) or len(milestones) != 2:
        raise ValueError(
            f"milestones ({milestones!r}) must be (epoch_last_layers, epoch_all_layers)"
        )
    first = check_int("milestones[0]", milestones[0], minimum=0)
    second = check_int("milestones[1]", milestones[1], minimum=0)
    if first > second:
        raise ValueError(f"milestones ({milestones!r}) must be non-decreasing")
    return first, second


def _no_argument(name: str, cls: Callable[..., BaseFinetuning]) -> Callable[..., BaseFinetuning]:
    def build(argument: object, train_bn: bool) -> BaseFinetuning:
        if argument is not None:
            raise ValueError(f"strategy {name!r} takes no argument, got ({name!r}, {argument!r})")
        return cls(train_bn=train_bn)

    return build


def _build_freeze_unfreeze(argument: object, train_bn: bool) -> BaseFinetuning:
    if argument is None:
        raise ValueError(
            'strategy "freeze_unfreeze" needs the epoch to unfreeze at: ("freeze_unfreeze", 3)'
        )
    return FreezeUnfreeze(check_int("unfreeze_epoch", argument, minimum=0), train_bn=train_bn)


def _build_unfreeze_milestones(argument: object, train_bn: bool) -> BaseFinetuning:
    if isinstance(argument, tuple | list) and len(argument) == 2:
        milestones, num_layers = argument
        if isinstance(milestones, tuple | list):
            return UnfreezeMilestones(
                _validate_milestones(milestones),
                check_positive_int("num_layers", num_layers),
                train_bn=train_bn,
            )
    raise ValueError(
        'strategy "unfreeze_milestones" needs ((epoch_last_layers, epoch_all_layers), '
        f'num_layers), e.g. ("unfreeze_milestones", ((5, 10), 15)); got {argument!r}'
    )


_STRATEGIES: dict[str, Callable[[object, bool], BaseFinetuning]] = {
    "no_freeze": _no_argument("no_freeze", NoFreeze),
    "freeze": _no_argument("freeze", Freeze),
    "freeze_unfreeze": _build_freeze_unfreeze,
    "unfreeze_milestones": _build_unfreeze_milestones,
}


def finetuning_strategy_names() -> list[str]:
    """The strategy names :func:`make_finetuning_callback` accepts, sorted."""
    return sorted(_STRATEGIES)


def make_finetuning_callback(strategy: object, *, train_bn: bool = True) -> BaseFinetuning:
    """Turn Flash's ``strategy`` argument into a finetuning callback.

    Args:
        strategy: ``"no_freeze"``, ``"freeze"``, ``("freeze_unfreeze", unfreeze_epoch)``,
            ``("unfreeze_milestones", ((epoch_last_layers, epoch_all_layers), num_layers))``,
            or a ``BaseFinetuning`` instance (returned unchanged).
        train_bn: Keep BatchNorm layers trainable while the backbone is frozen.
            Default: ``True``.

    Returns:
        The callback.

    Raises:
        ValueError: ``strategy`` is none of the accepted forms or its arguments are invalid.
    """
    if isinstance(strategy, BaseFinetuning):
        return strategy
    name: object
    argument: object = None
    if isinstance(strategy, str):
        name = strategy
    elif isinstance(strategy, tuple | list) and len(strategy) == 2:
        name, argument = strategy
    else:
        raise ValueError(f"unknown finetuning strategy {strategy!r}; use {_ACCEPTED_FORMS}")
    build = _STRATEGIES.get(name) if isinstance(name, str) else None
    if build is None:
        raise ValueError(f"unknown finetuning strategy {strategy!r}; use {_ACCEPTED_FORMS}")
    try:
        return build(argument, train_bn)
    except TypeError as error:
        raise ValueError(f"invalid finetuning strategy {strategy!r}: {error}") from error
