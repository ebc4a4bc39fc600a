"""WebDataset tar shards: write them (``fastvid shard``), expand their brace patterns, and
decide which of their videos each rank reads in each epoch.

===========  ==================================================================================
``_names``   brace patterns → shard URLs; ``"1GB"`` → bytes
``_write``   a class-per-folder tree → shards (``webdataset.ShardWriter``) + ``classes.json``
``_members``  a shard's samples from its tar headers: video member, byte range, label; the
             labelled videos of many shards (``tar://<member>::<shard url>``)
``_order``   shard-level shuffling split across ranks: a pure function of (shard sizes, seed,
             epoch, rank, world size), and :class:`ShardSampler` that gives it to the loader
===========  ==================================================================================
"""

from __future__ import annotations

from fastvid.data.shards._members import ShardSample, list_shards, member_url, read_shard
from fastvid.data.shards._names import brace_pattern, expand_urls, parse_size
from fastvid.data.shards._order import ShardSampler, shard_video_order
from fastvid.data.shards._write import CLASSES_FILE, ShardSummary, write_shards

__all__ = [
    "CLASSES_FILE",
    "ShardSample",
    "ShardSampler",
    "ShardSummary",
    "brace_pattern",
    "expand_urls",
    "list_shards",
    "member_url",
    "parse_size",
    "read_shard",
    "shard_video_order",
    "write_shards",
]
