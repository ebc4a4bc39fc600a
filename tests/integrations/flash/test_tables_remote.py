"""Flash's table sources on S3 (moto) and HTTP (aiohttp, Range) servers on loopback:
``from_csv`` with the CSV and the videos remote, ``from_data_frame`` with a remote videos root,
give the local videos, labels and clips; a missing remote video is named without credentials."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch
from torch.utils.data import SequentialSampler

import fastvid  # noqa: F401
from fastvid.data.transforms import default_transforms
from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.testing.servers import RangeHTTPServer

# (id in the tables, the file it resolves to): two ids name no extension (.mp4 / .webm found).
ROWS = [
    ("a/a_0.mp4", "a/a_0.mp4"),
    ("a/a_1", "a/a_1.mp4"),
    ("b/b_0.webm", "b/b_0.webm"),
    ("b/deeper/b_1", "b/deeper/b_1.webm"),
]
LABELS = ["a", "a", "b", "b"]
USER, PASSWORD = "bob", "hunter2"


def _options(**more: Any) -> dict[str, Any]:
    small = default_transforms("val", image_size=32, temporal_sub_sample=4)
    return {
        "clip_sampler": "uniform",
        "clip_duration": 1,
        "video_sampler": SequentialSampler,
        "batch_size": 2,
        "device": "cpu",
        "num_workers": 1,
        "train_transform": small,
        "val_transform": small,
        **more,
    }


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory, remote_tree: Path) -> Path:
    """``train.csv`` (ids relative to its folder) and ``val.tsv`` (ids relative to ``data/``)
    beside a copy of the remote tree in ``data/``; ``missing.csv`` lists a video that is not
    there."""
    folder = tmp_path_factory.mktemp("tables")
    shutil.copytree(remote_tree, folder / "data")
    rows = zip(ROWS, LABELS, strict=True)
    (folder / "train.csv").write_text(
        "video,label\n" + "".join(f"data/{i},{y}\n" for (i, _), y in rows)
    )
    rows = zip(ROWS, LABELS, strict=True)
    (folder / "val.tsv").write_text("video\tlabel\n" + "".join(f"{i}\t{y}\n" for (i, _), y in rows))
    (folder / "missing.csv").write_text("video,label\ndata/a/a_0.mp4,a\ndata/a/gone.mp4,a\n")
    return folder


@pytest.fixture(scope="module")
def auth_http(tables: Path) -> Iterator[str]:
    """``tables`` served over HTTP with basic auth; the URL carries the credentials."""
    with RangeHTTPServer(tables, auth=(USER, PASSWORD)) as server:
        yield server.url.replace("http://", f"http://{USER}:{PASSWORD}@")


def _batches(dm: VideoClassificationData, stages: tuple[str, ...]) -> list[list[dict[str, Any]]]:
    dm.setup("fit")
    try:
        loaders = {"train": dm.train_dataloader, "val": dm.val_dataloader}
        return [list(loaders[stage]()) for stage in stages]
    finally:
        dm.teardown()


@pytest.fixture(scope="module")
def local(tables: Path) -> dict[str, Any]:
    """The local from_csv: its videos and its train / val batches (the reference)."""
    dm = VideoClassificationData.from_csv(
        "video",
        "label",
        train_file=tables / "train.csv",
        val_file=tables / "val.tsv",
        val_videos_root=tables / "data",
        **_options(),
    )
    assert dm.labels == ["a", "b"]
    assert dm.videos("val").paths == [str(tables / "data" / f) for _, f in ROWS]
    train, val = _batches(dm, ("train", "val"))
    return {"dm": dm, "train": train, "val": val}


def _assert_same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want) >= 2
    for a, b in zip(got, want, strict=True):
        assert a["video_name"] == b["video_name"]
        assert torch.equal(a["label"], b["label"]) and torch.equal(a["video"], b["video"])


def _check_remote_csv(dm: VideoClassificationData, base: str, local: dict[str, Any]) -> None:
    """``base``: the URL of the tables folder (the CSV's folder, the default videos root)."""
    assert dm.labels == local["dm"].labels
    for stage in ("train", "val"):
        assert dm.videos(stage).paths == [f"{base}/data/{f}" for _, f in ROWS]
        assert [v.label for v in dm.videos(stage)] == [v.label for v in local["dm"].videos(stage)]
    train, val = _batches(dm, ("train", "val"))
    _assert_same(train, local["train"])
    _assert_same(val, local["val"])


def test_from_csv_on_s3_gives_the_local_clips(s3_server, tables: Path, local: dict[str, Any]):
    base = s3_server.upload(tables, "fastvid-test", "tables")
    dm = VideoClassificationData.from_csv(
        "video",
        "label",
        train_file=f"{base}/train.csv",  # videos root: the CSV's folder
        val_file=f"{base}/val.tsv",
        val_videos_root=f"{base}/data",
        storage_options=s3_server.storage_options,
        **_options(),
    )
    _check_remote_csv(dm, base, local)


def test_from_csv_over_http_gives_the_local_clips(auth_http: str, local: dict[str, Any]) -> None:
    dm = VideoClassificationData.from_csv(
        "video",
        "label",
        train_file=f"{auth_http}/train.csv",
        val_file=f"{auth_http}/val.tsv",
        val_videos_root=f"{auth_http}/data",
        **_options(),
    )
    _check_remote_csv(dm, auth_http, local)


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"video": [i for i, _ in ROWS], "label": LABELS})


def test_from_data_frame_with_a_remote_videos_root(
    s3_server, http_server, remote_tree: Path, local: dict[str, Any]
) -> None:
    roots = {
        "s3://fastvid-test/data": s3_server.storage_options,  # the tree uploaded by the fixture
        f"{http_server.url}/data": None,
    }
    for root, storage_options in roots.items():
        dm = VideoClassificationData.from_data_frame(
            "video",
            "label",
            val_data_frame=_frame(),
            val_videos_root=root,
            storage_options=storage_options,
            **_options(),
        )
        assert dm.videos("val").paths == [f"{root}/{f}" for _, f in ROWS]
        assert [v.label for v in dm.videos("val")] == [v.label for v in local["dm"].videos("val")]
        assert dm.labels == local["dm"].labels
        (val,) = _batches(dm, ("val",))
        _assert_same(val, local["val"])


def test_a_missing_remote_video_is_named_without_credentials(auth_http: str, s3_server) -> None:
    redacted = auth_http.replace(f"{USER}:{PASSWORD}@", "***@")
    with pytest.raises(FileNotFoundError) as caught:
        VideoClassificationData.from_csv("video", "label", train_file=f"{auth_http}/missing.csv")
    message = str(caught.value)
    assert (
        f"'data/a/gone.mp4' resolved to {redacted}/data/a/gone.mp4, which does not exist" in message
    )
    assert f"(line 3 of {redacted}/missing.csv)" in message
    assert PASSWORD not in message and USER not in message
    with pytest.raises(FileNotFoundError, match=re.escape(f"CSV file {redacted}/nope.csv does")):
        VideoClassificationData.from_csv("video", "label", train_file=f"{auth_http}/nope.csv")
    with pytest.raises(FileNotFoundError) as caught:
        VideoClassificationData.from_data_frame(
            "video",
            "label",
            train_data_frame=pd.DataFrame({"video": ["a/a_0.mp4", "a/gone"], "label": [0, 0]}),
            train_videos_root="s3://fastvid-test/data",
            storage_options=s3_server.storage_options,
        )
    message = str(caught.value)
    assert "'a/gone' resolved to s3://fastvid-test/data/a/gone, which does not exist" in message
    assert "(nor s3://fastvid-test/data/a/gone{.mp4,.avi," in message
    assert "(row 1 of the train_data_frame)" in message
