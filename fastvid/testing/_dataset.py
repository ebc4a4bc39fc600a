"""Generate a class-per-folder tree of test videos (see :func:`make_dataset`)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fastvid.testing._formats import CONTAINERS, Codec, container_extension
from fastvid.testing._video import make_video

__all__ = ["make_dataset"]


def _validate_names(what: str, names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"{what} must be a sequence of strings, got {names!r}")
    names = tuple(names)
    if not names:
        raise ValueError(f"{what} ({names!r}) must not be empty")
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{what} must contain strings, got {name!r}")
        if not name or name in (".", "..") or "/" in name or "\\" in name or os.sep in name:
            raise ValueError(
                f"{what} entry ({name!r}) must be a plain folder name (non-empty, no slashes)"
            )
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"{what} ({names!r}) has duplicates: {duplicates}")
    return names


def _validate_ext(ext: str | None, codec: Codec) -> str:
    if ext is None:
        return container_extension(codec)
    if not isinstance(ext, str):
        raise TypeError(f"ext must be a string or None, got {type(ext).__name__}")
    ext = ext.lower() if ext.startswith(".") else "." + ext.lower()
    if ext not in CONTAINERS:
        raise ValueError(f"ext ({ext!r}) must be one of {sorted(CONTAINERS)} or None")
    return ext


def _validate_class_kwargs(
    class_kwargs: Mapping[str, Mapping[str, Any]] | None, classes: tuple[str, ...]
) -> Mapping[str, Mapping[str, Any]]:
    if class_kwargs is None:
        return {}
    if not isinstance(class_kwargs, Mapping):
        raise TypeError(
            f"class_kwargs must be a mapping or None, got {type(class_kwargs).__name__}"
        )
    unknown = sorted(set(class_kwargs) - set(classes))
    if unknown:
        raise ValueError(f"class_kwargs names unknown classes {unknown}; classes: {list(classes)}")
    for name, kwargs in class_kwargs.items():
        if not isinstance(kwargs, Mapping):
            raise TypeError(f"class_kwargs[{name!r}] must be a mapping of make_video options")
        clash = sorted({"path", "codec", "seed"} & set(kwargs))
        if clash:
            raise ValueError(f"class_kwargs[{name!r}] must not set {clash}: make_dataset sets them")
    return class_kwargs


def _video_seed(seed: int, split: int, label: int, i: int) -> int:
    """A distinct, reproducible seed per video."""
    return int(np.random.SeedSequence([seed, split, label, i]).generate_state(1)[0])


def make_dataset(
    root: str | os.PathLike[str],
    *,
    classes: Sequence[str] = ("a", "b"),
    per_class: int = 2,
    splits: Sequence[str] | None = ("train", "val"),
    codec: Codec = "vp9",
    ext: str | None = None,
    seed: int = 0,
    class_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    **video_kwargs: Any,
) -> Path:
    """Write a class-per-folder tree of stamped test videos and return ``root``.

    With ``splits`` (the default)::

        root/
        ├── train/
        │   ├── a/a_0.webm, a/a_1.webm
        │   └── b/b_0.webm, b/b_1.webm
        └── val/
            ├── a/...
            └── b/...

    With ``splits=None`` the class folders sit directly in ``root``. Every video gets its own
    seed derived from ``seed``, its split, class and number, so the same arguments write the same
    files.

    Args:
        root: Folder to write into (created; existing files of the same names are replaced).
        classes: Class folder names. Default: ``("a", "b")``.
        per_class: Videos per class and split. Default: ``2``.
        splits: Split folder names, or ``None`` for no split level. Default: ``("train", "val")``.
        codec: Codec of every video (see :func:`make_video`). Default: ``"vp9"``.
        ext: Container extension (``".mp4"``, ``"mkv"``, ...); ``None`` uses
            :func:`container_extension` of ``codec``. Default: ``None``.
        seed: Base seed. Default: ``0``.
        class_kwargs: Per-class :func:`make_video` options that override ``video_kwargs``, e.g.
            ``{"left": {"motion": (-2, 0)}, "right": {"motion": (2, 0)}}`` with
            ``content="motion"`` for classes that differ only in motion direction.
            Default: ``None``.
        **video_kwargs: Further :func:`make_video` options for every video (``size``, ``fps``,
            ``duration``, ``content``, ...).

    Returns:
        ``root`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: For empty or duplicate ``classes``/``splits``, names that are not plain folder
            names, ``per_class < 1``, an unknown ``ext`` or bad ``make_video`` options.
    """
    root = Path(root)
    class_names = _validate_names("classes", classes)
    split_names: tuple[str | None, ...] = (
        (None,) if splits is None else _validate_names("splits", splits)
    )
    if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)):
        raise TypeError(f"per_class must be an int, got {type(per_class).__name__}")
    if per_class < 1:
        raise ValueError(f"per_class ({per_class}) must be >= 1")
    suffix = _validate_ext(ext, codec)
    overrides = _validate_class_kwargs(class_kwargs, class_names)
    clash = sorted({"path", "codec", "seed"} & set(video_kwargs))
    if clash:
        raise TypeError(f"make_dataset sets {clash} itself; do not pass them as video options")

    for s, split in enumerate(split_names):
        base = root if split is None else root / split
        for label, name in enumerate(class_names):
            options = {**video_kwargs, **overrides.get(name, {})}
            for i in range(per_class):
                make_video(
                    base / name / f"{name}_{i}{suffix}",
                    codec=codec,
                    seed=_video_seed(int(seed), s, label, i),
                    **options,
                )
    return root
