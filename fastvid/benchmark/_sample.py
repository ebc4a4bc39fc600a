"""Which of the user's videos ``fastvid bench PATH`` measures: list them, sample them (seeded).

PATH is read with fastvid's layout readers (:mod:`fastvid.data.layout`): a list file
(``path label`` lines, :func:`~fastvid.data.layout.from_csv`), a class-per-folder tree
(:func:`~fastvid.data.layout.from_folder`), or, when videos sit directly in PATH or some
sub-folder holds none, a folder of videos at any depth (label 0). The sample keeps the list's
order: the same seed over the same list picks the same files.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["VideoSample", "list_videos", "sample_by_count", "sample_by_minutes", "sample_videos"]

Pair = tuple[str, int]

_PROBE_CHUNK = 16  # files probed at a time while sampling by minutes
_IN_PROCESS_PROBES = 32  # up to this many files, no probe processes


@dataclass(frozen=True)
class VideoSample:
    """The files a run measures.

    Attributes:
        pairs: ``(path, label)`` of the sampled files fastvid could index, in the list's order.
        index: fastvid's index of (at least) those files.
        listed: Videos PATH holds.
        layout: How PATH was read: ``"list file"``, ``"class folders"`` or ``"folder"``.
        unreadable: Sampled files fastvid could not index, with why (not measured).
    """

    pairs: list[Pair]
    index: Any
    listed: int
    layout: str
    unreadable: dict[str, str]


def list_videos(path: str | os.PathLike[str]) -> tuple[list[Pair], str]:
    """The ``(path, label)`` pairs PATH names, and how it was read (``"list file"``,
    ``"class folders"`` or ``"folder"``).

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If it holds no videos.
    """
    from fastvid.data.layout import VIDEO_EXTENSIONS, from_csv, from_folder

    root = os.fspath(path)
    if not os.path.exists(root):
        raise FileNotFoundError(f"{root} does not exist: give a folder of videos or a list file")
    if os.path.isfile(root):
        listed, layout = from_csv(root), "list file"
        pairs = [(v.path, v.label) for v in listed.videos]
    else:
        pairs, layout = [], "folder"
        loose = any(
            entry.is_file() and entry.name.lower().endswith(VIDEO_EXTENSIONS)
            for entry in os.scandir(root)
        )
        if not loose:  # class folders, unless some sub-folder holds no videos
            try:
                listed = from_folder(root)
                pairs, layout = [(v.path, v.label) for v in listed.videos], "class folders"
            except ValueError:
                pass
        if not pairs:
            pairs = [(p, 0) for p in _walk_videos(root, VIDEO_EXTENSIONS)]
    if not pairs:
        raise ValueError(
            f"{root} holds no videos ({', '.join(VIDEO_EXTENSIONS)}): give a folder of videos, "
            "a class-per-folder tree or a list file of `path label` lines"
        )
    return pairs, layout


def _walk_videos(root: str, extensions: Sequence[str]) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(os.path.abspath(root)):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [
            os.path.join(folder, name)
            for name in sorted(files)
            if name.lower().endswith(tuple(extensions)) and not name.startswith(".")
        ]
    return found


def sample_by_count(pairs: Sequence[Pair], count: int, *, seed: int) -> list[Pair]:
    """``count`` pairs drawn with ``random.Random(seed)``, in the list's order (all when fewer).

    Raises:
        ValueError: If ``count`` is not positive.
    """
    if count < 1:
        raise ValueError(f"count ({count}) must be >= 1")
    if count >= len(pairs):
        return list(pairs)
    chosen = sorted(random.Random(seed).sample(range(len(pairs)), count))
    return [pairs[i] for i in chosen]


def _index(paths: Sequence[str]) -> Any:
    """fastvid's index of ``paths``; a few files are probed in this process (starting probe
    processes would cost more than probing them: a few ms each)."""
    from fastvid.data.index import VideoIndex

    workers = 0 if len(paths) <= _IN_PROCESS_PROBES else None
    return VideoIndex.build(list(paths), progress=False, num_workers=workers)


def sample_by_minutes(
    pairs: Sequence[Pair], minutes: float, *, seed: int
) -> tuple[list[Pair], list[Any]]:
    """Pairs in a seeded random order until their durations reach ``minutes``, in the list's
    order; probes only what it takes (a chunk at a time).

    Returns:
        The chosen pairs (readable or not) and the indexes built on the way.

    Raises:
        ValueError: If ``minutes`` is not positive.
    """
    if not minutes > 0:
        raise ValueError(f"minutes ({minutes}) must be > 0")
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    chosen: list[int] = []
    indexes: list[Any] = []
    seconds = 0.0
    for start in range(0, len(order), _PROBE_CHUNK):
        chunk = order[start : start + _PROBE_CHUNK]
        index = _index([pairs[i][0] for i in chunk])
        indexes.append(index)
        for i in chunk:
            chosen.append(i)
            path = pairs[i][0]
            if path not in index.errors:
                seconds += float(index.meta(path).duration or 0)
            if seconds >= 60 * minutes:
                return [pairs[j] for j in sorted(chosen)], indexes
    return [pairs[j] for j in sorted(chosen)], indexes


def sample_videos(
    path: str | os.PathLike[str],
    *,
    count: int | None,
    minutes: float | None,
    seed: int,
) -> VideoSample:
    """List PATH, sample it by ``count`` files or ``minutes``, and index the sample.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If it holds no videos, or none of the sample could be indexed.
    """
    pairs, layout = list_videos(path)
    if minutes is not None:
        chosen, _ = sample_by_minutes(pairs, minutes, seed=seed)
    else:
        chosen = sample_by_count(pairs, count or len(pairs), seed=seed)
    index = _index([p for p, _ in chosen])  # one index of the sample (re-probes: ms per file)
    unreadable = {p: str(index.errors[p]) for p, _ in chosen if p in index.errors}
    readable = [(p, label) for p, label in chosen if p not in index.errors]
    if not readable:
        raise ValueError(
            f"none of the {len(chosen)} sampled videos of {path} could be read: "
            + "; ".join(f"{p}: {why}" for p, why in list(unreadable.items())[:3])
        )
    return VideoSample(readable, index, len(pairs), layout, unreadable)
