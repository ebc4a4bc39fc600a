"""The parts of Flash 0.8's ``Task`` surface that do not train: the ``available_*`` registries
and the ``process_*_dataset`` data loaders (a :class:`FlashTaskMixin` for ``VideoClassifier``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from torch.utils.data import DataLoader, Dataset, Sampler

from fastvid.models._registries import LR_SCHEDULERS, OPTIMIZERS, NameRegistry
from fastvid.models.registry import backbone_info, list_backbones

__all__ = ["FlashTaskMixin"]


def _loader_hook(*, shuffle: bool, drop_last: bool, doc: str) -> Callable[..., DataLoader[Any]]:
    """One of Flash's ``Task.process_*_dataset`` methods: a ``DataLoader`` with torch's default
    collation and the stage's ``shuffle`` / ``drop_last`` defaults."""

    def process_dataset(
        self: object,
        dataset: Dataset[Any],
        batch_size: int,
        num_workers: int = 0,
        pin_memory: bool = False,
        shuffle: bool = shuffle,
        drop_last: bool = drop_last,
        sampler: Sampler[Any] | None = None,
        persistent_workers: bool = False,
        input_transform: object = None,
        trainer: object = None,
    ) -> DataLoader[Any]:
        if input_transform is not None:
            raise ValueError(
                "input_transform is not applied here: fastvid lowers transforms in the "
                "DataModule (VideoClassificationData(transform=...)); pass None"
            )
        return DataLoader(
            dataset,
            batch_size=batch_size,
            num_workers=num_workers,
            pin_memory=pin_memory,
            shuffle=shuffle and sampler is None,
            drop_last=drop_last,
            sampler=sampler,
            persistent_workers=persistent_workers,
        )

    process_dataset.__doc__ = doc
    return process_dataset


class FlashTaskMixin:
    """Flash's class-level registries and ``process_*_dataset`` hooks.

    Attributes:
        optimizers_registry: Names accepted as ``optimizer`` (register more with
            ``@VideoClassifier.optimizers_registry``).
        lr_schedulers_registry: Names accepted as ``lr_scheduler``, each with its ``interval``.
    """

    optimizers_registry: NameRegistry = OPTIMIZERS
    lr_schedulers_registry: NameRegistry = LR_SCHEDULERS

    @classmethod
    def available_backbones(
        cls, filter: str | None = None, *, head: str | None = None
    ) -> list[str]:
        """Names accepted as ``backbone``, optionally filtered by an ``fnmatch`` pattern.

        Args:
            filter: Pattern such as ``"x3d*"``. Default: ``None`` (all).
            head: Flash's per-head listing; ``VideoClassifier`` has no head registry (as in
                Flash), so only ``None`` is accepted. Default: ``None``.
        """
        if head is not None:
            raise ValueError(
                f"head={head!r}: {cls.__name__} has no head registry (available_heads() is "
                "empty, as in Flash); call available_backbones() without head"
            )
        return list_backbones(filter)

    @classmethod
    def available_models(cls) -> list[str]:
        """Names accepted as ``backbone`` (older Flash's spelling)."""
        return list_backbones()

    @classmethod
    def available_heads(cls) -> list[str]:
        """Head names: none, as in Flash's ``VideoClassifier`` (``head`` takes a module or a
        function)."""
        return []

    @classmethod
    def available_outputs(cls) -> list[str]:
        """Flash's prediction outputs for classification (``Trainer.predict(output=...)``)."""
        from fastvid.integrations.flash.outputs import BASE_OUTPUTS, CLASSIFICATION_OUTPUTS

        return (CLASSIFICATION_OUTPUTS + BASE_OUTPUTS).available_keys()

    @classmethod
    def available_optimizers(cls) -> list[str]:
        """Names accepted as ``optimizer`` (any case), sorted."""
        return cls.optimizers_registry.available_keys()

    @classmethod
    def available_lr_schedulers(cls) -> list[str]:
        """Names accepted as ``lr_scheduler`` (any case), sorted."""
        return cls.lr_schedulers_registry.available_keys()

    @classmethod
    def available_finetuning_strategies(cls) -> list[str]:
        """Strategy names ``Trainer.finetune(strategy=...)`` accepts, sorted."""
        from fastvid.models.finetuning import finetuning_strategy_names

        return finetuning_strategy_names()

    @classmethod
    def get_backbone_details(cls, key: str) -> list[tuple[str, inspect.Parameter]]:
        """The keyword arguments backbone ``key``'s builder takes (``backbone_kwargs``)."""
        return list(inspect.signature(backbone_info(key).builder).parameters.items())

    # ------------------------------------------------------------------ Flash's data hooks

    process_train_dataset = _loader_hook(
        shuffle=True,
        drop_last=True,
        doc="Flash's training loader over a dataset of ``{'input', 'target'}`` (or "
        "``{'video', 'label'}``) samples: shuffled, the last partial batch dropped.",
    )
    process_val_dataset = _loader_hook(
        shuffle=False, drop_last=False, doc="Flash's validation loader."
    )
    process_test_dataset = _loader_hook(shuffle=False, drop_last=False, doc="Flash's test loader.")
    process_predict_dataset = _loader_hook(
        shuffle=False, drop_last=False, doc="Flash's prediction loader."
    )
