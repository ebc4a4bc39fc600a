"""``VideoClassificationData``'s stages: per-stage arguments, video lists, predict folders."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from fastvid.data import layout
from fastvid.data.storage import as_storage, basename, is_remote

__all__ = [
    "STAGES",
    "ListsConstructor",
    "PathLike",
    "Split",
    "classes_of",
    "first_given",
    "flash_args",
    "import_class",
    "load_stages",
    "per_stage",
    "predict_list",
    "relabel",
    "split_train_val",
]

STAGES = ("train", "val", "test", "predict")
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Split:
    """One stage's videos, its validated transform dict (``None``: the DataModule's
    ``InputTransform`` gives it) and, for ``from_tensors``, its in-memory clips."""

    videos: layout.LabeledVideoList
    transforms: dict[str, Any] | None
    tensors: tuple[Any, ...] | None = None

    def subset(self, indices: Sequence[int]) -> Split:
        """The videos (and clips) at ``indices``, in that order."""
        videos = self.videos
        chosen = layout.LabeledVideoList(
            tuple(videos[i] for i in indices), videos.classes, videos.target_format
        )
        tensors = None if self.tensors is None else tuple(self.tensors[i] for i in indices)
        return Split(chosen, self.transforms, tensors)


FLASH_ARGS = (
    "clip_sampler",
    "clip_duration",
    "clip_sampler_kwargs",
    "video_sampler",
    "decode_audio",
    "decoder",
    "input_cls",
    "predict_input_cls",
    "transform",
    "transform_kwargs",
)
"""The arguments every Flash ``from_*`` takes besides its sources and ``target_formatter``."""


def flash_args(values: Mapping[str, Any]) -> dict[str, Any]:
    """The :data:`FLASH_ARGS` among a constructor's ``locals()``."""
    return {name: values[name] for name in FLASH_ARGS if name in values}


def split_train_val(splits: dict[str, Split], val_split: Any, seed: int) -> dict[str, Split]:
    """Flash's ``val_split``: a shuffled ``int(n * val_split)`` of the training videos become the
    validation stage (with the validation transforms), the rest stay for training.

    The shuffle is Flash's (``np.random.shuffle`` of ``range(n)``) from a ``RandomState(seed)``
    instead of NumPy's global state, so a seed gives the same split every run.

    Raises:
        TypeError: Validation data given as well (Flash's error).
        ValueError: ``val_split`` not a float in [0, 1], or a split that leaves a stage empty.
    """
    if val_split is None:
        return splits
    if "train" in splits and "val" in splits and isinstance(val_split, float) and val_split > 0:
        raise TypeError(
            "A `val_dataset` was provided with `val_split`. Please, choose one or the other "
            f"(val_split={val_split!r} and validation data were both given)"
        )
    if "train" not in splits or "val" in splits:
        return splits
    if not isinstance(val_split, float) or not 0 <= val_split <= 1:
        raise ValueError(
            f"`val_split` should be a float between 0 and 1. Found {val_split!r} "
            "(e.g. val_split=0.2 keeps a fifth of the training videos for validation)"
        )
    train = splits["train"]
    count = int(len(train.videos) * val_split)
    indices = list(range(len(train.videos)))
    np.random.RandomState(seed).shuffle(indices)
    if count == 0 or count == len(indices):
        raise ValueError(
            f"val_split={val_split} of {len(indices)} training videos leaves "
            f"{'no validation' if count == 0 else 'no training'} video; choose a val_split "
            f"between {1 / len(indices):.3g} and {1 - 1 / len(indices):.3g}"
        )
    val = train.subset(indices[:count])
    return {
        **splits,
        "train": train.subset(indices[count:]),
        "val": Split(val.videos, None, val.tensors),
    }


def relabel(videos: layout.LabeledVideoList, fmt: layout.TargetFormat) -> layout.LabeledVideoList:
    """``videos`` with each class name read again through ``fmt`` (a ``target_formatter``)."""
    labeled = []
    for video in videos:
        value = fmt.format(videos.classes[video.label], f" ({video.path})")
        if isinstance(value, tuple):
            labeled.append(layout.LabeledVideo(video.path, -1, value))
        else:
            labeled.append(layout.LabeledVideo(video.path, value))
    return layout.LabeledVideoList(tuple(labeled), fmt.classes, fmt)


def import_class(value: Any) -> Any:
    """``value``, or the class a dotted import path names (``"pkg.module.Class"``), as config
    files (LightningCLI, jsonargparse) write class-valued options."""
    if not isinstance(value, str) or "." not in value:
        return value
    module_name, _, name = value.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        return value  # not an import path: left for the caller's error


def first_given(name: str, **candidates: Any) -> Any:
    """The one candidate that is not ``None`` (or ``None``); two given is a ``ValueError``."""
    given = {k: v for k, v in candidates.items() if v is not None}
    if len(given) > 1:
        raise ValueError(f"pass only one of {', '.join(given)} (they are the same {name})")
    return next(iter(given.values()), None)


def per_stage(*values: Any) -> dict[str, Any]:
    """``{"train": ..., "val": ..., "test": ..., "predict": ...}`` from positional values."""
    return dict(zip(STAGES, values, strict=False))


def classes_of(lists: Mapping[str, layout.LabeledVideoList]) -> tuple[str, ...] | None:
    """The classes of the first stage loaded, ``None`` before any."""
    return next((videos.classes for videos in lists.values()), None)


def load_stages(
    sources: Mapping[str, Any],
    load: Callable[[Any, tuple[str, ...] | None], layout.LabeledVideoList],
) -> dict[str, layout.LabeledVideoList]:
    """Load each given stage; the first stage's classes are every later stage's classes."""
    lists: dict[str, layout.LabeledVideoList] = {}
    for stage, source in sources.items():
        if source is not None:
            lists[stage] = load(source, classes_of(lists))
    return lists


def predict_list(
    folder: PathLike,
    extensions: Sequence[str],
    classes: tuple[str, ...] | None,
    storage_options: dict[str, Any] | None = None,
) -> layout.LabeledVideoList:
    """A predict folder: class-per-folder if it has class folders, else the videos in it."""
    if is_remote(folder):
        storage = as_storage(storage_options)
        exts = tuple("." + ext.lower().lstrip(".") for ext in extensions)
        entries = storage.list_dir(os.fspath(folder))
        videos = [
            url
            for url, is_dir in entries
            if not is_dir and not basename(url).startswith(".") and url.lower().endswith(exts)
        ]
        if videos:
            return layout.from_pairs([(v, 0) for v in videos], classes=classes or ("unknown",))
        return layout.from_folder(folder, extensions=extensions, storage_options=storage_options)
    root = Path(folder)
    if not root.exists():
        raise FileNotFoundError(f"predict folder {root} does not exist")
    flat = sorted(
        p
        for p in root.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in extensions
    )
    if flat:
        return layout.from_pairs([(p, 0) for p in flat], classes=classes or ("unknown",))
    return layout.from_folder(root, extensions=extensions)


L = TypeVar("L", bound="ListsConstructor")


class ListsConstructor:
    """The base of ``VideoClassificationData``'s constructor mixins (tables, WebDataset): they
    build per-stage video lists and hand them to ``_from_lists``, which the DataModule defines."""

    @classmethod
    def _from_lists(
        cls: type[L],
        lists: Mapping[str, layout.LabeledVideoList],
        transforms: Mapping[str, Mapping[str, Any] | None],
        **kwargs: Any,
    ) -> L:
        raise NotImplementedError  # VideoClassificationData's
