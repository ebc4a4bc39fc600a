"""What is in WebDataset shards: each sample's video member and label.

From the shard's ``.idx.json`` when ``fastvid shard`` wrote one (one small request per shard),
else from its tar headers: a shard is read like ``tarfile`` reads any seekable file, a
512-byte header per member, the data skipped by seeking, so listing a remote shard costs a
small request or two per sample (a header and its ``.cls`` / ``.json`` members); the videos
are not read. A sample is the members sharing a key (WebDataset's rule: the name up to the
first dot of its base name). Its video (``.mp4``, ``.webm``, ``.mkv``, ... one per sample) is
addressed as an fsspec chained URL, ``tar://<member>::<shard url>``, which opens seekably: a
video in an uncompressed tar is one contiguous byte range.
"""

from __future__ import annotations

import json
import re
import tarfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO, Any

from fastvid.data.layout import VIDEO_EXTENSIONS, LabeledVideo, LabeledVideoList
from fastvid.data.layout._types import NO_LABEL
from fastvid.data.shards._write import CLASSES_FILE
from fastvid.data.storage import read_index

__all__ = ["ShardSample", "list_shards", "member_url", "read_shard"]

Opener = Callable[[str], AbstractContextManager[IO[bytes]]]
_KEY = re.compile(r"^((?:.*/|)[^./]+)\.([^/]*)$")  # webdataset.tariterators.base_plus_ext


@dataclass(frozen=True)
class ShardSample:
    """One sample of a shard: its video member and label.

    Attributes:
        key: The sample's key (member names up to the first dot).
        member: The video member's name in the tar.
        offset: Where the video's bytes start in the shard.
        size: The video's size in bytes.
        label: From ``<key>.cls``, else ``<key>.json``'s ``label``; ``None`` when neither has it.
        class_name: ``<key>.json``'s ``class``, if any.
    """

    key: str
    member: str
    offset: int
    size: int
    label: int | None
    class_name: str | None


def member_url(shard_url: str, member: str) -> str:
    """The fsspec URL of one member of a shard: ``tar://<member>::<shard url>``."""
    return f"tar://{member}::{shard_url}"


def _read(tar: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(info)
    return b"" if handle is None else handle.read()


def read_shard(url: str, open_file: Opener) -> list[ShardSample]:
    """The samples of one shard, in tar order: from its ``.idx.json`` when there is one for a
    shard of its size (one small request), else from its tar headers.

    Raises:
        ValueError: A sample with two videos, or with a ``.cls`` / ``.json`` that does not
            parse (the message names the shard and the key).
    """
    with open_file(url) as raw:
        size = raw.seek(0, 2)
        raw.seek(0)
        index = read_index(url, size, open_file)
        if index is not None:
            return _from_index(index)
        return _scan(url, raw)


def _from_index(index: dict[str, Any]) -> list[ShardSample]:
    """The samples an ``.idx.json`` lists (``fastvid shard`` writes it next to each shard)."""
    ranges = {str(m): (int(o), int(n)) for m, o, n in index["members"]}
    return [
        ShardSample(
            key=str(s["key"]),
            member=str(s["video"]),
            offset=ranges[s["video"]][0],
            size=ranges[s["video"]][1],
            label=None if s.get("label") is None else int(s["label"]),
            class_name=s.get("class"),
        )
        for s in index["samples"]
    ]


def _scan(url: str, raw: IO[bytes]) -> list[ShardSample]:
    """The samples of a shard from its tar headers (and its small label members)."""
    samples: dict[str, dict[str, Any]] = {}
    with tarfile.open(fileobj=raw, mode="r:") as tar:
        for info in tar:
            match = _KEY.match(info.name)
            if not info.isfile() or match is None:
                continue
            key, ext = match.group(1), match.group(2).lower()
            sample = samples.setdefault(key, {})
            try:
                if "." + ext in VIDEO_EXTENSIONS:
                    if "video" in sample:
                        raise ValueError(f"two videos ({sample['video'].name}, {info.name})")
                    sample["video"] = info
                elif ext == "cls":
                    sample["label"] = int(_read(tar, info).decode().strip())
                elif ext == "json":
                    meta = json.loads(_read(tar, info))
                    if isinstance(meta, dict):
                        sample.setdefault("json_label", meta.get("label"))
                        sample["class_name"] = meta.get("class")
            except (ValueError, UnicodeDecodeError) as error:
                raise ValueError(f"shard {url}, sample {key!r}: {error}") from None
    out = []
    for key, sample in samples.items():
        video = sample.get("video")
        if video is None:
            continue  # no video in this sample (WebDataset samples may carry other things)
        label = sample.get("label", sample.get("json_label"))
        out.append(
            ShardSample(
                key=key,
                member=video.name,
                offset=video.offset_data,
                size=video.size,
                label=None if label is None else int(label),
                class_name=sample.get("class_name"),
            )
        )
    return out


def _classes_file(first_shard: str, open_file: Opener) -> tuple[str, ...] | None:
    """``classes.json`` next to the first shard (as ``fastvid shard`` writes it), if any."""
    head, sep, _ = first_shard.rpartition("/")
    try:
        with open_file(f"{head}{sep}{CLASSES_FILE}") as handle:
            classes = json.loads(handle.read())["classes"]
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return None
    return tuple(str(c) for c in classes)


def _classes_from_samples(samples: Sequence[ShardSample]) -> tuple[str, ...]:
    names: dict[int, str] = {}
    for s in samples:
        if s.label is not None and s.class_name is not None:
            names.setdefault(s.label, s.class_name)
    top = max((s.label for s in samples if s.label is not None), default=-1)
    return tuple(names.get(i, str(i)) for i in range(top + 1))


def list_shards(
    urls: Sequence[str],
    open_file: Opener,
    *,
    classes: Sequence[str] | None = None,
    labels: bool = True,
) -> tuple[LabeledVideoList, tuple[int, ...]]:
    """The labelled videos of shards, shard by shard, and the number in each shard.

    Args:
        urls: Shard URLs (brace patterns already expanded).
        open_file: Opens a URL for binary reading (a context manager).
        classes: Class names in label order. Default: ``classes.json`` next to the first shard
            (``fastvid shard`` writes it), else the samples' ``.json`` class names by label,
            else the labels as text.
        labels: Every video must have a label; ``False`` (videos to predict): a video without
            one gets ``-1`` (no label). Default: ``True``.

    Returns:
        The videos (``tar://<member>::<shard>`` paths, shard-major order) and videos per shard.

    Raises:
        ValueError: A video without a label (``.cls``, or ``label`` in its ``.json``), or a
            label outside the classes; the message names the shard and the sample.
    """
    per_shard = [read_shard(url, open_file) for url in urls]
    samples = [s for shard in per_shard for s in shard]
    if not samples:
        raise ValueError(f"no videos in the shards {list(urls)[:3]}...: no sample has a video")
    names = tuple(classes) if classes is not None else _classes_file(urls[0], open_file)
    if names is None:
        names = _classes_from_samples(samples)
    videos = []
    for url, shard in zip(urls, per_shard, strict=True):
        for s in shard:
            if s.label is None and not labels:
                videos.append(LabeledVideo(member_url(url, s.member), NO_LABEL))
                continue
            if s.label is None or not 0 <= s.label < len(names):
                raise ValueError(
                    f"shard {url}, sample {s.key!r}: label {s.label} is missing or not one of "
                    f"the {len(names)} classes; each video needs <key>.cls (its class index) "
                    "or <key>.json with a 'label'"
                )
            videos.append(LabeledVideo(member_url(url, s.member), s.label))
    return LabeledVideoList(tuple(videos), names), tuple(len(shard) for shard in per_shard)
