"""``VideoClassificationData.from_webdataset``'s stages: shard patterns → video lists and the
training stage's :class:`~fastvid.data.shards.ShardSampler`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from fastvid.data import layout
from fastvid.data.shards import ShardSampler, expand_urls, list_shards
from fastvid.data.storage import SCAN_BLOCK, StorageLike, as_storage
from fastvid.integrations.flash._stages import ListsConstructor, classes_of, per_stage

__all__ = ["LISTING_BLOCK", "WebDatasetConstructor", "webdataset_stages"]

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


W = TypeVar("W", bound="WebDatasetConstructor")


class WebDatasetConstructor(ListsConstructor):
    """``VideoClassificationData.from_webdataset`` (mixed in; see its docs)."""

    @classmethod
    def from_webdataset(
        cls: type[W],
        train_shards: str | Sequence[str] | None = None,
        val_shards: str | Sequence[str] | None = None,
        test_shards: str | Sequence[str] | None = None,
        predict_shards: str | Sequence[str] | None = None,
        *,
        classes: Sequence[str] | None = None,
        storage_options: dict[str, Any] | None = None,
        train_transform: Mapping[str, Any] | None = None,
        val_transform: Mapping[str, Any] | None = None,
        test_transform: Mapping[str, Any] | None = None,
        predict_transform: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> W:
        """WebDataset tar shards (``fastvid shard`` writes them), one set per stage.

        Each stage takes shard URLs or brace patterns (``"s3://b/train-{000000..000099}.tar"``,
        local paths, ``https://``...). A sample is one video (``<key>.mp4`` / ``.webm`` /
        ``.mkv``...) and its label (``<key>.cls``, or ``"label"`` in ``<key>.json``); videos are
        read in place by range requests (``tar://<member>::<shard>``), the clip samplers behave
        as on files. Training shards are shuffled per epoch at shard level and dealt out to the
        ranks (:class:`~fastvid.data.shards.ShardSampler`), with equal batch counts per rank.

        Args:
            train_shards: Training shards. Default: none.
            val_shards: Validation shards. Default: none.
            test_shards: Test shards. Default: none.
            predict_shards: Shards to predict (labels optional). Default: none.
            classes: Class names in label order. Default: ``classes.json`` next to the first
                stage's shards, else their ``.json`` class names.
            storage_options: fsspec options for remote shards. Default: none.
            train_transform: Flash-style transform dict for training. Default: Flash's.
            val_transform: Same, validation. Default: Flash's defaults.
            test_transform: Same, test. Default: Flash's defaults.
            predict_transform: Same, prediction. Default: Flash's defaults.
            **kwargs: The constructor's options (``clip_sampler``, ``clip_duration``, ...);
                not ``video_sampler`` (the shards give the order).
        """
        if "video_sampler" in kwargs:
            raise TypeError(
                "from_webdataset takes no video_sampler: the training order is the shards', "
                "shuffled per epoch and split across ranks (fastvid.data.shards.ShardSampler)"
            )
        lists, sampler = webdataset_stages(
            per_stage(train_shards, val_shards, test_shards, predict_shards),
            classes=classes,
            storage_options=storage_options,
        )
        if sampler is not None:
            kwargs["video_sampler"] = sampler
        transforms = per_stage(train_transform, val_transform, test_transform, predict_transform)
        return cls._from_lists(lists, transforms, storage_options=storage_options, **kwargs)
