"""``VideoClassificationData`` on S3 (moto on loopback): ``from_folders`` / ``from_paths``,
``from_csv`` and ``from_files`` with ``storage_options`` give the local batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import SequentialSampler

import fastvid  # noqa: F401
from fastvid.integrations.flash.datamodule import VideoClassificationData

OPTIONS: dict[str, Any] = {
    "clip_sampler": "uniform",
    "clip_duration": 1,
    "video_sampler": SequentialSampler,
    "batch_size": 2,
    "device": "cpu",
    "num_workers": 1,
}


def val_batches(dm: VideoClassificationData) -> list[dict[str, Any]]:
    dm.setup("validate")
    try:
        return list(dm.val_dataloader())
    finally:
        dm.teardown()


def assert_same(remote: list[dict[str, Any]], local: list[dict[str, Any]]) -> None:
    assert len(remote) == len(local) >= 2
    for a, b in zip(remote, local, strict=True):
        assert a["video_name"] == b["video_name"]
        assert torch.equal(a["label"], b["label"]) and torch.equal(a["video"], b["video"])


def test_datamodule_constructors_read_s3(s3_server, remote_tree: Path) -> None:
    storage_options = s3_server.storage_options
    local = val_batches(VideoClassificationData.from_folders(val_folder=remote_tree, **OPTIONS))
    by_folder = VideoClassificationData.from_paths(
        val_data_path="s3://fastvid-test/data", storage_options=storage_options, **OPTIONS
    )
    assert by_folder.labels == ["a", "b"]
    assert_same(val_batches(by_folder), local)
    by_csv = VideoClassificationData.from_csv(
        val_file="s3://fastvid-test/data/list.csv", storage_options=storage_options, **OPTIONS
    )
    assert_same(val_batches(by_csv), local)
    names = [v.path for v in by_folder.videos("val").videos]
    by_files = VideoClassificationData.from_files(
        val_files=names,
        val_targets=[v.label for v in by_folder.videos("val").videos],
        storage_options=storage_options,
        **OPTIONS,
    )
    assert_same(val_batches(by_files), local)
