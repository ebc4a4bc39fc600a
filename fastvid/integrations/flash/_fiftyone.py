"""``VideoClassificationData.from_fiftyone``: FiftyOne datasets and views (Flash 0.8's reading).

Needs the optional ``fiftyone`` package (``pip install fastvid[fiftyone]``). A sample's video is
its ``filepath``; its target is ``sample[label_field].label``, a ``fiftyone.core.labels.
Classification`` (Flash checks the field's type the same way). Targets are then read like any
other (class names by default; ``target_formatter`` fixes format and classes).
"""

from __future__ import annotations

from typing import Any, TypeVar

from torch.utils.data import RandomSampler, Sampler

from fastvid.data import layout
from fastvid.integrations.flash._files import targets_list
from fastvid.integrations.flash._stages import ListsConstructor, classes_of, flash_args, per_stage
from fastvid.integrations.flash.input_transform import VideoClassificationInputTransform
from fastvid.integrations.flash.inputs import (
    VideoClassificationFiftyOneInput,
    VideoClassificationFiftyOnePredictInput,
)
from fastvid.integrations.flash.target_formatters import as_target_format

__all__ = ["FiftyOneConstructor", "fiftyone_files"]

FO = TypeVar("FO", bound="FiftyOneConstructor")


def _labels_module() -> Any:
    try:
        import fiftyone.core.labels as fol
    except ImportError as error:
        raise ModuleNotFoundError(
            f"from_fiftyone needs the fiftyone package: pip install 'fastvid[fiftyone]' ({error})"
        ) from error
    return fol


def fiftyone_files(collection: Any, label_field: str | None, name: str) -> tuple[list[str], Any]:
    """A sample collection's video paths and (``label_field`` given) its labels.

    Raises:
        ValueError: ``label_field`` is missing or not a ``Classification`` field (Flash's check).
    """
    files = list(collection.values("filepath"))
    if label_field is None:
        return files, None
    fol = _labels_module()
    try:
        label_type = collection._get_label_field_type(label_field)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    if not issubclass(label_type, fol.Classification):
        raise ValueError(
            f"{name}: Expected field '{label_field}' to have type {fol.Classification}; found "
            f"{label_type} (pass label_field= naming a Classification field)"
        )
    return files, list(collection.values(label_field + ".label"))


class FiftyOneConstructor(ListsConstructor):
    """``VideoClassificationData.from_fiftyone`` (mixed in)."""

    @classmethod
    def from_fiftyone(
        cls: type[FO],
        train_dataset: Any = None,
        val_dataset: Any = None,
        test_dataset: Any = None,
        predict_dataset: Any = None,
        target_formatter: Any = None,
        clip_sampler: Any = "random",
        clip_duration: float = 2,
        clip_sampler_kwargs: dict[str, Any] | None = None,
        video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
        decode_audio: bool = False,
        decoder: str = "pyav",
        label_field: str = "ground_truth",
        input_cls: type = VideoClassificationFiftyOneInput,
        predict_input_cls: type = VideoClassificationFiftyOnePredictInput,
        transform: Any = VideoClassificationInputTransform,
        transform_kwargs: dict[str, Any] | None = None,
        **data_module_kwargs: Any,
    ) -> FO:
        """FiftyOne ``SampleCollection`` objects (datasets or views) of videos, per stage.

        Args:
            train_dataset: Training samples. Default: none.
            val_dataset: Validation samples. Default: none.
            test_dataset: Test samples. Default: none.
            predict_dataset: Samples to predict (only ``filepath`` is read). Default: none.
            label_field: The ``Classification`` field holding each sample's target.
                Default: ``"ground_truth"``.
            **data_module_kwargs: The DataModule's options.

        The other arguments are :meth:`from_folders`'.
        """
        options = flash_args(locals())
        storage_options = data_module_kwargs.get("storage_options")
        fmt = as_target_format(target_formatter)
        lists: dict[str, layout.LabeledVideoList] = {}
        for stage, collection in per_stage(train_dataset, val_dataset, test_dataset).items():
            if collection is not None:
                name = f"{stage}_dataset"
                files, targets = fiftyone_files(collection, label_field, name)
                lists[stage] = targets_list(
                    files, targets, fmt, name=name, storage_options=storage_options
                )
                fmt = fmt or lists[stage].target_format
        if predict_dataset is not None:
            files, _ = fiftyone_files(predict_dataset, None, "predict_dataset")
            lists["predict"] = layout.from_pairs(
                [(f, 0) for f in files], classes=classes_of(lists) or ("unknown",)
            )
        return cls._from_lists(lists, {}, **options, **data_module_kwargs)
