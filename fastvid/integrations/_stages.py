"""``VideoClassificationData``'s stages: per-stage arguments, video lists, predict folders."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastvid.data import layout
from fastvid.data.storage import as_storage, basename, is_remote

__all__ = [
    "STAGES",
    "ListsConstructor",
    "PathLike",
    "Split",
    "classes_of",
    "first_given",
    "load_stages",
    "per_stage",
    "predict_list",
]

STAGES = ("train", "val", "test", "predict")
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Split:
    """One stage's videos and its validated transform dict."""

    videos: layout.LabeledVideoList
    transforms: dict[str, Any]


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
