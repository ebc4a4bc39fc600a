"""``VideoClassificationData.from_webdataset``'s stages: shard patterns → video lists and the
training stage's :class:`~fastvid.data.shards.ShardSampler`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from fastvid.data import layout
from fastvid.data.shards import ShardSampler, expand_urls, list_shards
from fastvid.data.storage import SCAN_BLOCK, StorageLike, as_storage
from fastvid.integrations._stages import classes_of

__all__ = ["LISTING_BLOCK", "webdataset_stages"]

LISTING_BLOCK = SCAN_BLOCK
"""Bytes per ranged read while listing a remote shard: a sample's headers and its ``.cls`` /
``.json`` sit in its first few KiB, so one small read per sample, not the videos."""


def webdataset_stages(
    shards: Mapping[str, Any],
    *,
    classes: Sequence[str] | None,
    storage_options: StorageLike,
) -> tuple[dict[str, layout.LabeledVideoList], ShardSampler | None]:
    """The videos of each stage's shards, and the training stage's shard sampler.

    Args:
        shards: Stage name → shard URL(s) or brace pattern(s) (``None``: no such stage).
        classes: Class names; default: from the first stage's shards (``classes.json`` next to
            them, else their ``.json`` class names). Later stages use the first's.
        storage_options: fsspec options (or a ``Storage``) for remote shards.
    """
    listing = as_storage(storage_options)
    if listing.block_size is None:
        listing = replace(listing, block_size=LISTING_BLOCK)
    lists: dict[str, layout.LabeledVideoList] = {}
    sampler = None
    for stage, given in shards.items():
        if given is None:
            continue
        known = classes_of(lists) or (tuple(classes) if classes is not None else None)
        videos, members = list_shards(
            expand_urls(given), listing.open, classes=known, labels=stage != "predict"
        )
        lists[stage] = videos
        if stage == "train":
            sampler = ShardSampler(members)
    return lists, sampler
