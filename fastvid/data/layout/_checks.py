"""Checks of the layout loaders' arguments: extensions, files, class names, labels."""

from __future__ import annotations

import os
from collections.abc import Sequence

from fastvid.data.layout._types import NO_LABEL

__all__ = [
    "check_classes",
    "check_exists",
    "check_extension",
    "check_label",
    "choose_class_folders",
    "has_extension",
    "normalize_extensions",
]


def normalize_extensions(extensions: Sequence[str]) -> tuple[str, ...]:
    if isinstance(extensions, str):
        raise TypeError(
            f"extensions must be a sequence of strings such as ('.mp4', '.avi'), "
            f"got the string {extensions!r}"
        )
    normalized = []
    for ext in extensions:
        if not isinstance(ext, str) or not ext.strip("."):
            raise ValueError(f"extensions must be non-empty strings like '.mp4', got {ext!r}")
        normalized.append("." + ext.lower().lstrip("."))
    if not normalized:
        raise ValueError("extensions must not be empty; default: fastvid VIDEO_EXTENSIONS")
    return tuple(normalized)


def has_extension(name: str, extensions: tuple[str, ...]) -> bool:
    return name.lower().endswith(extensions)


def check_extension(path: str, extensions: tuple[str, ...], where: str) -> None:
    if not has_extension(path, extensions):
        raise ValueError(
            f"{path}{where} is not a video file: its extension is not one of "
            f"{', '.join(extensions)} (compared case-insensitively); pass extensions=(...) "
            f"to accept other extensions"
        )


def check_exists(path: str, where: str) -> None:
    if not os.path.isfile(path):
        what = "is not a file" if os.path.exists(path) else "does not exist"
        raise FileNotFoundError(f"video file {path}{where} {what}")


def check_classes(classes: Sequence[str] | None) -> tuple[str, ...] | None:
    if classes is None:
        return None
    if isinstance(classes, str):
        raise TypeError(f"classes must be a sequence of class names, got the string {classes!r}")
    result = tuple(classes)
    for name in result:
        if not isinstance(name, str) or not name:
            raise TypeError(f"class names must be non-empty strings, got {name!r}")
    duplicates = sorted({name for name in result if result.count(name) > 1})
    if duplicates:
        raise ValueError(f"classes must be unique, got duplicates {duplicates}")
    return result


def choose_class_folders(
    found: Sequence[str], wanted: tuple[str, ...] | None, root: str
) -> tuple[str, ...]:
    """The class folders to use, in label order: ``wanted`` (each must be among ``found``),
    else every one ``found`` (sorted, at least one). ``root`` names the dataset in errors."""
    if wanted is None:
        if not found:
            raise ValueError(
                f"dataset folder {root} has no class sub-folders; expected "
                f"root/<class>/<video> with one folder per class"
            )
        return tuple(found)
    missing = [name for name in wanted if name not in found]
    if missing:
        raise FileNotFoundError(
            f"class folders {missing} not found in {root}; its class folders are {list(found)}"
        )
    return wanted


def check_label(label: object, where: str) -> int | str:
    if isinstance(label, bool) or not isinstance(label, int | str):
        raise TypeError(
            f"label {label!r}{where} must be an int or a class name (str), "
            f"got {type(label).__name__}"
        )
    if isinstance(label, int) and label < NO_LABEL:
        raise ValueError(
            f"label {label}{where} must be >= 0 (or {NO_LABEL} for no label, "
            f"as in PyTorchVideo's CSV format)"
        )
    if isinstance(label, str) and not label:
        raise ValueError(f"label{where} is an empty class name")
    return label
