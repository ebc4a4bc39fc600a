"""Shard names: brace patterns (``train-{000000..000099}.tar``) to URLs, sizes to bytes."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence

from braceexpand import braceexpand

__all__ = ["brace_pattern", "expand_urls", "parse_size"]

_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}


def expand_urls(urls: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """Shard URLs from brace patterns, as WebDataset expands them.

    ``"s3://b/train-{000000..000002}.tar"`` gives ``train-000000.tar`` .. ``train-000002.tar``
    (zero padding kept); ``{a,b}`` lists alternatives; a list of patterns is expanded one by
    one, in order. Unlike WebDataset, ``::`` does not separate patterns (fsspec uses it to chain
    URLs): pass a list instead.

    Raises:
        ValueError: No URL given, or the same URL twice.
    """
    given = [urls] if isinstance(urls, str | os.PathLike) else list(urls)
    expanded = [url for pattern in given for url in braceexpand(os.fspath(pattern))]
    if not expanded:
        raise ValueError(f"no shard URLs in {urls!r}: pass a URL, a brace pattern or a list")
    repeated = sorted(url for url, n in Counter(expanded).items() if n > 1)
    if repeated:
        raise ValueError(f"shard URLs given more than once: {repeated[:5]}")
    return expanded


def brace_pattern(prefix: str, first: int, last: int, suffix: str = ".tar") -> str:
    """``prefix-{000000..000012}.tar`` for shards ``first`` .. ``last`` (6 digits)."""
    if first == last:
        return f"{prefix}-{first:06d}{suffix}"
    return f"{prefix}-{{{first:06d}..{last:06d}}}{suffix}"


def parse_size(size: int | float | str, *, name: str = "max_size") -> int:
    """Bytes from ``1e9``, ``"1GB"``, ``"512MiB"``, ``"1.5 GB"`` (decimal and binary units).

    Raises:
        ValueError: Not a size, or not positive; the message names ``name``.
    """
    if isinstance(size, bool):
        raise TypeError(f"{name} must be a number of bytes or a string like '1GB', got {size!r}")
    if isinstance(size, int | float):
        value = float(size)
    else:
        text = str(size).strip().upper().replace(" ", "")
        number = text.rstrip("KMGTIB")
        unit = text[len(number) :]
        try:
            value = float(number) * _UNITS[unit]
        except (KeyError, ValueError):
            raise ValueError(
                f"{name} {size!r} is not a size: use bytes or a string like '1GB' or '512MiB'"
            ) from None
    if value < 1:
        raise ValueError(f"{name} ({size!r}) must be at least 1 byte")
    return int(value)
