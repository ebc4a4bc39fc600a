"""``write_shards`` (``fastvid shard``): WebDataset samples, the size cap, classes.json."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest
import webdataset as wds

from fastvid.data.layout import from_folder
from fastvid.data.shards import expand_urls, write_shards
from fastvid.testing import make_dataset


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_dataset(
        tmp_path_factory.mktemp("shardsrc") / "ds",
        classes=("cat", "dog"),
        per_class=3,
        splits=("train",),
        codec="vp9",
        size=(64, 48),
        duration=1.0,
        fps=10,
    )
    return root / "train"


def test_webdataset_reads_back_every_video_with_its_label(tree: Path, tmp_path: Path) -> None:
    summary = write_shards(tree, tmp_path / "out", max_size="40KB", seed=1)
    listed = from_folder(tree)
    assert summary.classes == listed.classes == ("cat", "dog")
    assert json.loads((tmp_path / "out" / "classes.json").read_text()) == {
        "classes": ["cat", "dog"]
    }
    assert expand_urls(summary.pattern) == list(summary.shards) and len(summary.shards) > 1
    samples = list(wds.WebDataset(summary.pattern, shardshuffle=False))
    assert [len(list(wds.WebDataset(s, shardshuffle=False))) for s in summary.shards] == list(
        summary.members
    )
    by_path = {}
    for sample in samples:
        meta = json.loads(sample["json"])
        assert int(sample["cls"]) == meta["label"] == summary.classes.index(meta["class"])
        by_path[meta["path"]] = (sample["webm"], meta["label"])
    assert len(by_path) == summary.videos == len(listed.videos)
    for video in listed.videos:
        rel = Path(video.path).relative_to(tree).as_posix()
        assert by_path[rel] == (Path(video.path).read_bytes(), video.label)


def test_shards_stay_under_the_cap_and_the_order_is_seeded(tree: Path, tmp_path: Path) -> None:
    sizes = sorted(os.path.getsize(v.path) for v in from_folder(tree).videos)
    cap = 10240 + sum(sizes[-3:])  # room for 2-3 videos in a tar (padded to 10 KiB records)
    a = write_shards(tree, tmp_path / "a", max_size=cap, seed=3)
    assert all(os.path.getsize(s) <= cap for s in a.shards)
    assert max(a.members) >= 2 and len(a.shards) >= 2  # the cap, not one video per shard
    b = write_shards(tree, tmp_path / "b", max_size=cap, seed=3)
    assert [Path(s).read_bytes() for s in a.shards] == [Path(s).read_bytes() for s in b.shards]
    c = write_shards(tree, tmp_path / "c", max_size="1GB", shuffle=False, max_count=4)
    assert c.members == (4, 2)
    with tarfile.open(c.shards[0]) as tar:
        names = [m.name for m in tar.getmembers()]
        meta = tar.extractfile("00000000.json")
        assert meta is not None
        first = json.loads(meta.read())
    assert names[:3] == ["00000000.cls", "00000000.json", "00000000.webm"]
    assert first["path"] == "cat/cat_0.webm"


def test_existing_shards_are_not_overwritten(tree: Path, tmp_path: Path) -> None:
    write_shards(tree, tmp_path / "out")
    with pytest.raises(FileExistsError, match="already holds shards"):
        write_shards(tree, tmp_path / "out")
