"""What a loader's saved state is checked against: the fingerprint of what its plans depend
on, and the digest of one epoch's plan.

:func:`fingerprint` covers the videos (by path under their common folder, so a moved dataset
resumes) and labels, seed, clip and video sampler (:func:`describe`: class and plain
settings, random generators and running counters left out), batch size, ``drop_last`` and
world size; :func:`plan_digest` hashes an epoch's clips. :mod:`fastvid.reader.loader._resume`
stores both in a state and compares them when one is loaded.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from collections.abc import Sequence
from fractions import Fraction
from operator import itemgetter
from typing import Any

import numpy as np
import torch

from fastvid.reader.planning.frames import ClipRequest

__all__ = ["describe", "fingerprint", "plan_digest"]


def fingerprint(
    pairs: Sequence[tuple[str, int]],
    *,
    clip_sampler: Any,
    video_sampler: Any,
    seed: int,
    batch_size: int,
    drop_last: bool,
    world_size: int,
) -> dict[str, Any]:
    """What a loader's epoch plans depend on, as plain values (stored in its state).

    Videos are compared by their paths relative to the folder that holds them all (a dataset
    moved or mounted elsewhere still matches) and their labels.
    """
    digest = hashlib.blake2b(digest_size=16)
    listed = _relative_listing(pairs)
    if listed is not None:
        digest.update(listed.encode())
    else:
        folders = [os.path.dirname(os.path.abspath(path)) for path, _ in pairs]
        root = os.path.commonpath(folders) if folders else ""
        for path, label in pairs:
            relative = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
            digest.update(f"{relative}\t{label}\n".encode())
    return {
        "videos": digest.hexdigest(),
        "num_videos": len(pairs),
        "seed": int(seed),
        "clip_sampler": describe(clip_sampler),
        # an instance's settings may name the rank (DistributedSampler): its class only
        "video_sampler": describe(
            video_sampler
            if video_sampler is None or isinstance(video_sampler, type)
            else type(video_sampler)
        ),
        "batch_size": int(batch_size),
        "drop_last": bool(drop_last),
        "world_size": int(world_size),
    }


_NOT_NORMAL = re.compile(r"//|/\.\.?(?:/|\n)|/\n")  # "//", "/./", "/../", "/.", "/..", "/" ends


def _relative_listing(pairs: Sequence[tuple[str, int]]) -> str | None:
    """``"{relative path}\\t{label}\\n"`` of every pair, made with string operations over the
    whole list (a million pairs: ~0.5 s, not ~30 s), when every path is already absolute and
    normal (POSIX); ``None`` otherwise (then each path is resolved on its own)."""
    if os.sep != "/" or not pairs:
        return None
    paths = list(map(itemgetter(0), pairs))
    joined = "\n".join(paths) + "\n"
    if (
        not joined.startswith("/")
        or joined.count("\n") != len(paths)
        or joined.count("\n/") != len(paths) - 1
        or _NOT_NORMAL.search(joined)
    ):
        return None
    prefix = os.path.commonprefix([min(paths), max(paths)])  # noqa: RUF071 - strings
    cut = len(prefix[: prefix.rfind("/")]) + 1  # the common folder, and its "/"
    relative = map(itemgetter(slice(cut, None)), paths)
    return "".join(map("{}\t{}\n".format, relative, map(itemgetter(1), pairs)))


_SIMPLE = (int, float, str, bool, Fraction, type(None))
_RANDOM = (random.Random, torch.Generator, np.random.Generator, np.random.RandomState)
_LEFT_OUT = ("current", "generator")  # running counters; generators (reseeded per video)


def describe(obj: Any, depth: int = 0) -> str:
    """A stable description of a sampler: its class and its plain settings.

    Random generators and running counters are left out (the loader reseeds generators per
    video and epoch); nested objects are described the same way, two levels deep.
    """
    if obj is None or isinstance(obj, _SIMPLE):
        return repr(obj)
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    if isinstance(obj, (tuple, list)):
        return "[" + ", ".join(describe(item, depth + 1) for item in obj) + "]"
    name = f"{type(obj).__module__}.{type(obj).__qualname__}"
    settings = getattr(obj, "__dict__", None)
    if depth >= 2 or not settings:
        return name
    parts = [
        f"{key.lstrip('_')}={describe(value, depth + 1)}"
        for key, value in sorted(settings.items())
        if not isinstance(value, _RANDOM) and not key.lstrip("_").startswith(_LEFT_OUT)
    ]
    return f"{name}({', '.join(parts)})"


def plan_digest(plan: Sequence[ClipRequest]) -> str:
    """A digest of an epoch plan: each clip's video, clip and aug index, times and frames."""
    columns = getattr(plan, "digest", None)
    if callable(columns):  # an EpochPlan hashes its columns
        text: str = columns()
        return text
    digest = hashlib.blake2b(digest_size=16)
    for r in plan:
        digest.update(
            f"{r.video_index},{r.clip_index},{r.aug_index},{r.clip_start_sec},"
            f"{r.clip_end_sec};".encode()
        )
        digest.update(np.ascontiguousarray(r.frame_indices, dtype=np.int64).tobytes())
    return digest.hexdigest()
