"""``fastvid shard``: a class-per-folder tree → WebDataset tar shards (``webdataset.ShardWriter``).

A sample is one video and its label: ``<key>.mp4`` (the file's own bytes and extension),
``<key>.cls`` (the class index as text) and ``<key>.json`` (``{"label", "class", "path"}``);
``classes.json`` next to the shards lists the classes in label order, and ``<shard>.idx.json``
each member's byte range and each sample's label (readers need not scan the tar headers).
Keys are the video's position in the written order, 8 digits (a file's name may hold dots,
which WebDataset would read as extensions). Shards are plain (uncompressed) tar, so each video
is one contiguous byte range a reader can seek in.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from webdataset import ShardWriter

from fastvid.data.layout import VIDEO_EXTENSIONS, from_folder
from fastvid.data.shards._names import brace_pattern, parse_size
from fastvid.data.storage import INDEX_SUFFIX, scan_members

__all__ = ["CLASSES_FILE", "ShardSummary", "write_shards"]

CLASSES_FILE = "classes.json"
_BLOCK = 512  # tar block: each member is a header block plus its data padded to blocks
_RECORD = 20 * _BLOCK  # tarfile pads a closed archive to whole records


@dataclass(frozen=True)
class ShardSummary:
    """What :func:`write_shards` wrote.

    Attributes:
        shards: The shard files, in order.
        pattern: Their brace pattern (``DEST/shard-{000000..000003}.tar``), for
            ``from_webdataset``.
        classes: Class names in label order (also in ``DEST/classes.json``).
        members: Videos in each shard.
    """

    shards: tuple[str, ...]
    pattern: str
    classes: tuple[str, ...]
    members: tuple[int, ...]

    @property
    def videos(self) -> int:
        """Videos written."""
        return sum(self.members)


def _tar_bytes(*sizes: int) -> int:
    """Bytes of members of these sizes in a tar: a header block each, data padded to blocks."""
    return sum(_BLOCK + -(-size // _BLOCK) * _BLOCK for size in sizes)


def _file_bytes(member_bytes: int) -> int:
    """A tar file's size: its members, the end marker (2 blocks), padded to whole records."""
    return -(-(member_bytes + 2 * _BLOCK) // _RECORD) * _RECORD


def _write_index(shard: Path, labels: dict[str, tuple[int, str]]) -> None:
    """``<shard>.idx.json``: each member's byte range and each sample's label, so readers
    locate a video with one small request instead of scanning the tar's headers."""
    with open(shard, "rb") as raw:
        members = scan_members(raw, str(shard))
    samples = [
        {"key": key, "video": name, "label": labels[key][0], "class": labels[key][1]}
        for name, _, _ in members
        if (key := name.split(".", 1)[0]) in labels and Path(name).suffix in VIDEO_EXTENSIONS
    ]
    index = {"format": 1, "size": shard.stat().st_size, "members": members, "samples": samples}
    Path(f"{shard}{INDEX_SUFFIX}").write_text(json.dumps(index, separators=(",", ":")))


def write_shards(
    src: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    max_size: int | float | str = "1GB",
    max_count: int = 100_000,
    prefix: str = "shard",
    shuffle: bool = True,
    seed: int = 0,
) -> ShardSummary:
    """Write the videos of a class-per-folder tree as WebDataset shards.

    Args:
        src: A class-per-folder tree (as ``from_folders`` reads it).
        dest: Folder for ``<prefix>-000000.tar``, ... (each with its ``.idx.json``) and
            ``classes.json`` (created).
        max_size: Cap on a shard file's size, ``"1GB"``, ``"512MiB"`` or a number of bytes.
            A shard is closed before a video would take it past the cap; a video larger than
            the cap gets a shard of its own. Default: ``"1GB"``.
        max_count: Cap on the videos in one shard. Default: 100,000.
        prefix: Shard file name prefix. Default: ``"shard"``.
        shuffle: Write the videos in a random order (seeded), so every shard mixes the
            classes; ``False`` keeps the folder order (class by class). Default: ``True``.
        seed: Seed of that order. Default: 0.

    Returns:
        A :class:`ShardSummary`.

    Raises:
        FileExistsError: ``dest`` already holds ``<prefix>-*.tar`` shards (delete them or pick
            another folder / prefix).
    """
    cap = parse_size(max_size, name="max_size")
    if max_count < 1:
        raise ValueError(f"max_count ({max_count}) must be >= 1")
    videos = from_folder(src, extensions=VIDEO_EXTENSIONS)
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    existing = sorted(out.glob(f"{prefix}-*.tar"))
    if existing:
        raise FileExistsError(
            f"{out} already holds shards ({existing[0].name}, ... {len(existing)} files): "
            "delete them or write to another folder or with another --prefix"
        )
    order = np.arange(len(videos.videos))
    if shuffle:
        order = np.random.default_rng(seed).permutation(order)
    root = Path(src)
    members: list[int] = []
    written: list[str] = []
    labels: list[dict[str, tuple[int, str]]] = [{}]  # per shard: key -> (label, class)
    shard_bytes = 0  # tar blocks of the samples in the open shard
    writer = ShardWriter(  # it never starts a shard itself: the loop below does (exact cap)
        str(out / f"{prefix}-%06d.tar"),
        maxcount=max_count + 1,
        maxsize=float("inf"),
        verbose=0,
        post=written.append,
        mtime=0,
    )
    try:
        for key, position in enumerate(order):
            video = videos.videos[int(position)]
            data = Path(video.path).read_bytes()
            meta = json.dumps(
                {
                    "label": video.label,
                    "class": videos.classes[video.label],
                    "path": Path(video.path).relative_to(root).as_posix(),
                }
            ).encode()
            label = str(video.label).encode()
            size = _tar_bytes(len(data), len(label), len(meta))
            if writer.count and (
                _file_bytes(shard_bytes + size) > cap or writer.count >= max_count
            ):
                members.append(writer.count)
                writer.next_stream()
                labels.append({})
                shard_bytes = 0
            shard_bytes += size
            # members carry the source file's mtime (whole seconds: a float adds PAX headers),
            # so the same tree gives the same bytes and readers see a re-sharded video change
            assert writer.tarstream is not None
            writer.tarstream.mtime = int(os.stat(video.path).st_mtime)
            labels[-1][f"{key:08d}"] = (video.label, videos.classes[video.label])
            writer.write(
                {
                    "__key__": f"{key:08d}",
                    Path(video.path).suffix.lower().lstrip("."): data,
                    "cls": label,
                    "json": meta,
                }
            )
        members.append(writer.count)
    finally:
        writer.close()
    for shard, shard_labels in zip(written, labels, strict=True):
        _write_index(Path(shard), shard_labels)
    (out / CLASSES_FILE).write_text(json.dumps({"classes": list(videos.classes)}, indent=1))
    return ShardSummary(
        shards=tuple(written),
        pattern=str(out / brace_pattern(prefix, 0, len(written) - 1)),
        classes=tuple(videos.classes),
        members=tuple(members),
    )
