"""Flash 0.8's torch-``DataLoader`` path for ready-made datasets: ``Task.process_*_dataset``.

Flash's tasks turn any map-style dataset of sample dicts (``{"input": ..., "target": ...}``)
into a ``DataLoader`` whose ``collate_fn`` runs the stage's ``InputTransform`` hooks: the
per-sample transform on each sample, torch's ``default_collate``, then the per-batch transform
(``flash.core.data.io.input_transform.create_worker_input_transform_processor``). These samples
carry Flash's keys already, so the hooks run on them as they are. :class:`FlashDatasetProcessor`
gives a model the four ``process_*_dataset`` methods with Flash's signatures and defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch.utils.data import DataLoader, Sampler
from torch.utils.data._utils.collate import default_collate

from fastvid.integrations.input_transform import InputTransform

__all__ = ["FlashDatasetProcessor", "InputTransformCollate"]


class InputTransformCollate:
    """A ``collate_fn``: ``stage``'s per-sample transform, ``default_collate``, its per-batch
    transform (each skipped when the ``InputTransform`` has none, or there is none)."""

    def __init__(self, input_transform: InputTransform | None, stage: str) -> None:
        hooks = {} if input_transform is None else input_transform._transform[stage]
        self.per_sample = hooks.get("per_sample_transform")
        self.per_batch = hooks.get("per_batch_transform")

    def __call__(self, samples: Sequence[Any]) -> Any:
        if self.per_sample is not None:
            samples = [self.per_sample(sample) for sample in samples]
        batch = default_collate(list(samples))
        return self.per_batch(batch) if self.per_batch is not None else batch


class FlashDatasetProcessor:
    """Flash's ``process_{train,val,test,predict}_dataset`` (mix into a ``LightningModule``).

    ``input_transform`` defaults to the model's ``input_transform`` attribute (``None``: the
    samples are only collated).
    """

    input_transform: InputTransform | None = None

    def _process(
        self, stage: str, dataset: Any, batch_size: int, input_transform: Any, **options: Any
    ) -> DataLoader[Any]:
        chosen = input_transform or self.input_transform
        return DataLoader(
            dataset,
            batch_size=batch_size,
            collate_fn=InputTransformCollate(chosen, stage),
            **options,
        )

    def process_train_dataset(
        self,
        dataset: Any,
        batch_size: int,
        num_workers: int = 0,
        pin_memory: bool = False,
        shuffle: bool = True,
        drop_last: bool = True,
        sampler: Sampler[int] | None = None,
        persistent_workers: bool = False,
        input_transform: InputTransform | None = None,
        trainer: Any = None,
    ) -> DataLoader[Any]:
        """A training ``DataLoader`` over ``dataset`` (Flash's defaults: shuffled, drop last)."""
        return self._process(
            "train", dataset, batch_size, input_transform, num_workers=num_workers,
            pin_memory=pin_memory, shuffle=shuffle if sampler is None else False,
            drop_last=drop_last, sampler=sampler, persistent_workers=persistent_workers,
        )  # fmt: skip

    def _evaluate(self, stage: str, dataset: Any, batch_size: int, **options: Any) -> Any:
        options.pop("trainer", None)
        input_transform = options.pop("input_transform", None)
        return self._process(stage, dataset, batch_size, input_transform, **options)

    def process_val_dataset(
        self, dataset: Any, batch_size: int, num_workers: int = 0, pin_memory: bool = False,
        shuffle: bool = False, drop_last: bool = False, sampler: Sampler[int] | None = None,
        persistent_workers: bool = False, input_transform: InputTransform | None = None,
        trainer: Any = None,
    ) -> DataLoader[Any]:  # fmt: skip
        """A validation ``DataLoader`` over ``dataset`` (in order)."""
        return self._evaluate("val", **_options(locals()))

    def process_test_dataset(
        self, dataset: Any, batch_size: int, num_workers: int = 0, pin_memory: bool = False,
        shuffle: bool = False, drop_last: bool = False, sampler: Sampler[int] | None = None,
        persistent_workers: bool = False, input_transform: InputTransform | None = None,
        trainer: Any = None,
    ) -> DataLoader[Any]:  # fmt: skip
        """A test ``DataLoader`` over ``dataset`` (in order)."""
        return self._evaluate("test", **_options(locals()))

    def process_predict_dataset(
        self, dataset: Any, batch_size: int, num_workers: int = 0, pin_memory: bool = False,
        shuffle: bool = False, drop_last: bool = False, sampler: Sampler[int] | None = None,
        persistent_workers: bool = False, input_transform: InputTransform | None = None,
        trainer: Any = None,
    ) -> DataLoader[Any]:  # fmt: skip
        """A prediction ``DataLoader`` over ``dataset`` (in order)."""
        return self._evaluate("predict", **_options(locals()))


def _options(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in ("self", "__class__")}
