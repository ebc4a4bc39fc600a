"""``VideoClassificationData.from_webdataset``: clips read from tar shards (local, S3 on
loopback through moto, HTTP with Range on loopback) equal the same videos' clips read from the
folder they were written from; the training order is the shards'."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from fastvid.data.shards import ShardSampler, write_shards
from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.testing import make_dataset

OPTIONS: dict[str, Any] = {
    "clip_sampler": "uniform",
    "clip_duration": 0.5,
    "batch_size": 2,
    "num_workers": 1,
    "device": "cpu",
    "train_transform": {},
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    root = tmp_path_factory.mktemp("wds")
    make_dataset(
        root / "ds",
        classes=("cat", "dog"),
        per_class=2,
        splits=("train",),
        codec="h264",
        size=(64, 48),
        duration=1.0,
        fps=10,
    )
    tree = root / "ds" / "train"
    summary = write_shards(tree, root / "shards", max_count=3, seed=2)
    return root, tree, summary


def _source_paths(summary: Any) -> dict[str, str]:
    """Member name in the shards → the source video's path relative to the tree."""
    names = {}
    for shard in summary.shards:
        with tarfile.open(shard) as tar:
            for info in tar:
                if info.name.endswith(".json"):
                    meta = tar.extractfile(info)
                    assert meta is not None
                    key = info.name.split(".")[0]
                    names[f"{key}.mp4"] = json.loads(meta.read())["path"]
    return names


def _clips(dm: VideoClassificationData, name_of: Any) -> dict[tuple[str, int, int], Any]:
    loader = dm.train_dataloader()
    out = {}
    try:
        for batch in loader:
            for i, name in enumerate(batch["video_name"]):
                key = (name_of(name), int(batch["clip_index"][i]), int(batch["aug_index"][i]))
                out[key] = (batch["video"][i].clone(), int(batch["label"][i]))
    finally:
        loader.close()
    return out


@pytest.fixture(scope="module")
def folder_clips(data: tuple[Path, Path, Any]) -> dict[tuple[str, int, int], Any]:
    _, tree, _ = data
    dm = VideoClassificationData.from_paths(
        train_folder=tree, loader_kwargs={"progress": False}, **OPTIONS
    )
    by_name = {
        Path(v.path).name: Path(v.path).relative_to(tree).as_posix() for v in dm.videos("train")
    }
    return _clips(dm, by_name.__getitem__)


@pytest.fixture(scope="module")
def s3(data: tuple[Path, Path, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    pytest.importorskip("moto")
    pytest.importorskip("s3fs")
    from fastvid.testing.servers import S3Server

    root, _, _ = data
    with S3Server() as server:
        url = server.upload(root / "shards", "fastvid-wds", "shards")
        yield url, server.storage_options, server


def _assert_same_clips(got: dict[Any, Any], expected: dict[Any, Any]) -> None:
    assert got.keys() == expected.keys() and len(got) == 8  # 4 videos x 2 clips
    for key, (video, label) in expected.items():
        assert got[key][1] == label, key
        assert torch.equal(got[key][0], video), key


def test_local_shards_give_the_folders_clips(
    data: tuple[Path, Path, Any], folder_clips: dict[Any, Any], tmp_path: Path
) -> None:
    _, _, summary = data
    dm = VideoClassificationData.from_webdataset(
        train_shards=summary.pattern,
        loader_kwargs={"progress": False, "cache_dir": tmp_path},
        **OPTIONS,
    )
    assert dm.labels == ["cat", "dog"]
    assert isinstance(dm.video_sampler, ShardSampler)
    assert dm.video_sampler.members_per_shard == summary.members == (3, 1)
    _assert_same_clips(_clips(dm, _source_paths(summary).__getitem__), folder_clips)


def test_s3_shards_give_the_folders_clips(
    data: tuple[Path, Path, Any],
    folder_clips: dict[Any, Any],
    s3: tuple[str, dict[str, Any], Any],
    tmp_path: Path,
) -> None:
    _, _, summary = data
    url, options, server = s3
    server.reset_counts()
    dm = VideoClassificationData.from_webdataset(
        train_shards=f"{url}/shard-{{000000..000001}}.tar",
        storage_options=options,
        loader_kwargs={"progress": False, "cache_dir": tmp_path},
        **OPTIONS,
    )
    assert dm.labels == ["cat", "dog"]  # classes.json next to the shards, on S3
    assert dm.videos("train").videos[0].path.startswith("tar://")
    _assert_same_clips(_clips(dm, _source_paths(summary).__getitem__), folder_clips)
    assert server.gets > 0


def test_http_shards_give_the_folders_clips(
    data: tuple[Path, Path, Any], folder_clips: dict[Any, Any], tmp_path: Path
) -> None:
    pytest.importorskip("aiohttp")
    from fastvid.testing.servers import RangeHTTPServer

    root, _, summary = data
    with RangeHTTPServer(root) as server:
        dm = VideoClassificationData.from_webdataset(
            train_shards=f"{server.url}/shards/shard-{{000000..000001}}.tar",
            loader_kwargs={"progress": False, "cache_dir": tmp_path},
            **OPTIONS,
        )
        assert dm.labels == ["cat", "dog"]
        _assert_same_clips(_clips(dm, _source_paths(summary).__getitem__), folder_clips)


def test_video_sampler_is_refused(data: tuple[Path, Path, Any]) -> None:
    _, _, summary = data
    with pytest.raises(TypeError, match="takes no video_sampler"):
        VideoClassificationData.from_webdataset(
            train_shards=summary.pattern, video_sampler=torch.utils.data.SequentialSampler
        )
