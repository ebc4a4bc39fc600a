"""Listing shards from their tar headers: members, byte ranges, labels, classes."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import pytest
import webdataset as wds

from fastvid.data.layout import from_folder
from fastvid.data.shards import list_shards, member_url, read_shard, write_shards
from fastvid.testing import make_dataset


def _open(url: str) -> IO[bytes]:
    return open(url, "rb")


class _Counting:
    """An opener that counts the bytes read through it (listing must not read the videos)."""

    def __init__(self) -> None:
        self.read = 0

    def __call__(self, url: str) -> IO[bytes]:
        handle = open(url, "rb")  # noqa: SIM115 (the caller closes it)
        real = handle.read

        def read(size: int = -1) -> bytes:
            data = real(size)
            self.read += len(data)
            return data

        handle.read = read  # type: ignore[method-assign]
        return handle


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = make_dataset(
        tmp_path_factory.mktemp("members") / "ds",
        classes=("cat", "dog", "eel"),
        per_class=2,
        splits=("train",),
        codec="h264",
        size=(64, 48),
        duration=1.0,
        fps=10,
    )
    summary = write_shards(root / "train", root / "shards", max_count=4, seed=5)
    return root / "train", summary


def _tar(path: Path, samples: list[dict[str, Any]]) -> str:
    with wds.TarWriter(str(path)) as sink:
        for sample in samples:
            sink.write(sample)
    return str(path)


def test_members_are_the_source_videos_byte_for_byte(shards: tuple[Path, Any]) -> None:
    tree, summary = shards
    counting = _Counting()
    videos, members = list_shards(list(summary.shards), counting, classes=None)
    assert members == summary.members == (4, 2)
    assert videos.classes == ("cat", "dog", "eel")  # from classes.json
    source = {v.path: v.label for v in from_folder(tree).videos}
    seen = {}
    for url in summary.shards:
        data = Path(url).read_bytes()
        for sample in read_shard(url, _open):
            video = data[sample.offset : sample.offset + sample.size]
            matches = [p for p in source if Path(p).read_bytes() == video]
            assert len(matches) == 1
            assert sample.label == source[matches[0]]
            assert sample.class_name == videos.classes[sample.label]
            seen[matches[0]] = member_url(url, sample.member)
    assert len(seen) == len(source)
    assert [v.path for v in videos.videos] == [
        member_url(u, s.member) for u in summary.shards for s in read_shard(u, _open)
    ]
    total = sum(Path(u).stat().st_size for u in summary.shards)
    video_bytes = sum(Path(p).stat().st_size for p in source)
    assert counting.read < total - video_bytes // 2  # headers and labels, not the videos


def test_labels_from_json_and_classes_from_names(tmp_path: Path) -> None:
    url = _tar(
        tmp_path / "s.tar",
        [
            {"__key__": "a", "mkv": b"x" * 10, "json": {"label": 1, "class": "up"}},
            {"__key__": "b", "webm": b"y" * 3, "json": {"label": 0, "class": "down"}},
            {"__key__": "c", "txt": b"no video here"},
        ],
    )
    videos, members = list_shards([url], _open)
    assert members == (2,) and videos.classes == ("down", "up")
    assert [(v.path, v.label) for v in videos] == [
        (f"tar://a.mkv::{url}", 1),
        (f"tar://b.webm::{url}", 0),
    ]
    explicit, _ = list_shards([url], _open, classes=("d", "u", "x"))
    assert explicit.classes == ("d", "u", "x")


def test_bad_samples_name_the_shard_and_key(tmp_path: Path) -> None:
    unlabeled = _tar(tmp_path / "u.tar", [{"__key__": "k1", "mp4": b"v"}])
    with pytest.raises(ValueError, match=r"u\.tar, sample 'k1': label None is missing"):
        list_shards([unlabeled], _open, classes=("a",))
    videos, _ = list_shards([unlabeled], _open, classes=("a",), labels=False)
    assert [v.label for v in videos] == [-1]
    two = _tar(tmp_path / "t.tar", [{"__key__": "k2", "mp4": b"v", "mkv": b"w", "cls": 0}])
    with pytest.raises(ValueError, match=r"t\.tar, sample 'k2': two videos"):
        read_shard(two, _open)
    bad = _tar(tmp_path / "b.tar", [{"__key__": "k3", "mp4": b"v", "cls": b"cat"}])
    with pytest.raises(ValueError, match=r"b\.tar, sample 'k3'"):
        read_shard(bad, _open)
    empty = _tar(tmp_path / "e.tar", [{"__key__": "k4", "txt": b"t"}])
    with pytest.raises(ValueError, match="no sample has a video"):
        list_shards([empty], _open)


def test_the_index_and_the_header_scan_agree(shards: tuple[Path, Any], tmp_path: Path) -> None:
    _, summary = shards
    copy = tmp_path / "copy.tar"
    copy.write_bytes(Path(summary.shards[0]).read_bytes())  # no .idx.json next to it
    assert read_shard(summary.shards[0], _open) == read_shard(str(copy), _open)
    counting = _Counting()
    read_shard(summary.shards[0], counting)
    assert counting.read == Path(f"{summary.shards[0]}.idx.json").stat().st_size
    stale = tmp_path / "stale.tar"  # an index for another file size is not used
    stale.write_bytes(Path(summary.shards[0]).read_bytes() + bytes(10240))
    Path(f"{stale}.idx.json").write_text(Path(f"{summary.shards[0]}.idx.json").read_text())
    assert read_shard(str(stale), _open) == read_shard(str(copy), _open)
