"""``VideoClassificationData.from_data_frame`` / ``from_csv``: Flash's tables, multi-label."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch
from torch.utils.data import SequentialSampler

import fastvid
from fastvid.data.samplers import make_clip_sampler
from fastvid.data.transforms import default_transforms
from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.models import VideoClassifier
from fastvid.reader import ClipLoader
from fastvid.testing import make_dataset
from tests.models import TinyBackbone, quiet_trainer_kwargs

CLASSES = ("cat", "dog", "eel")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(
        tmp_path_factory.mktemp("tables") / "ds",
        classes=CLASSES,
        per_class=2,
        splits=("train", "val"),
        codec="vp9",
        size=(64, 48),
        duration=1.2,
        fps=10,
    )


@pytest.fixture
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _options(**more: Any) -> dict[str, Any]:
    small = {
        s: default_transforms("val", image_size=32, temporal_sub_sample=4) for s in ("train", "val")
    }
    return {
        "clip_sampler": "uniform",
        "clip_duration": 0.5,
        "video_sampler": SequentialSampler,
        "batch_size": 4,
        "device": "cpu",
        "num_workers": 1,
        "train_transform": small["train"],
        "val_transform": small["val"],
        **more,
    }


def _table(folder: Path, base: Path) -> pd.DataFrame:
    files = sorted(folder.rglob("*.webm"))
    return pd.DataFrame(
        {
            "video": [f.relative_to(base).as_posix() for f in files],
            "label": [f.parent.name for f in files],
        }
    )


def _batches(dm: VideoClassificationData, stage: str) -> list[dict[str, Any]]:
    dm.setup("fit")
    loader = dm.train_dataloader() if stage == "train" else dm.val_dataloader()
    try:
        return list(loader)
    finally:
        dm.teardown()


def test_data_frame_and_csv_give_what_from_paths_gives(root: Path, tmp_path: Path) -> None:
    paths = VideoClassificationData.from_paths(
        train_folder=root / "train", val_folder=root / "val", **_options()
    )
    frame = VideoClassificationData.from_data_frame(
        "video",
        "label",
        train_data_frame=_table(root / "train", root / "train"),
        train_videos_root=root / "train",
        val_data_frame=_table(root / "val", root / "val"),
        val_videos_root=root / "val",
        **_options(),
    )
    # CSV ids relative to the CSV's folder (Flash's default videos root).
    _table(root / "train", root).to_csv(tmp_path / "train.csv", index=False)
    (tmp_path / "train").symlink_to(root / "train")
    _table(root / "val", root).to_csv(tmp_path / "val.tsv", sep="\t", index=False)
    csv = VideoClassificationData.from_csv(
        "video",
        "label",
        train_file=tmp_path / "train.csv",
        val_file=tmp_path / "val.tsv",
        val_videos_root=root,
        **_options(),
    )
    expected = [_batches(paths, "train"), _batches(paths, "val")]
    for dm in (frame, csv):
        assert dm.labels == list(CLASSES) and dm.num_classes == 3 and dm.multi_label is False
        assert [v.label for v in dm.videos("train")] == [v.label for v in paths.videos("train")]
        assert dm.videos("val") == paths.videos("val")
        for want, got in zip(expected, [_batches(dm, "train"), _batches(dm, "val")], strict=True):
            assert len(got) == len(want) > 0
            for a, b in zip(want, got, strict=True):
                assert torch.equal(a["video"], b["video"]) and torch.equal(a["label"], b["label"])
                assert a["video_name"] == b["video_name"]
    assert [str(Path(p).resolve()) for p in csv.videos("train").paths] == paths.videos(
        "train"
    ).paths


def _multi_hot(root: Path) -> tuple[pd.DataFrame, torch.Tensor]:
    frame = _table(root / "train", root / "train")
    hot = torch.tensor([[1, 0, 1], [1, 1, 0], [0, 1, 0], [0, 1, 1], [1, 0, 1], [0, 0, 1]])
    for column, name in enumerate(CLASSES):
        frame[name] = hot[:, column].tolist()
    return frame, hot.float()


def test_multi_hot_columns_give_multi_hot_batch_labels(root: Path) -> None:
    frame, hot = _multi_hot(root)
    dm = VideoClassificationData.from_data_frame(
        "video",
        list(CLASSES),
        train_data_frame=frame,
        train_videos_root=root / "train",
        **_options(),
    )
    assert dm.multi_label is True and dm.labels == list(CLASSES) and dm.num_classes == 3
    dm.setup("fit")
    assert dm.train_dataloader().lowered.fully_lowered  # the batch is built without a collate
    batches = _batches(dm, "train")
    for batch in batches:
        assert batch["label"].dtype == torch.float32 and batch["label"].shape == (
            len(batch["video"]),
            3,
        )
        assert torch.equal(batch["label"], hot[batch["video_index"]])
    assert {int(i) for b in batches for i in b["video_index"]} == set(range(6))


def test_multi_hot_labels_survive_per_sample_transforms(root: Path) -> None:
    """A transform fastvid cannot lower runs on each sample dict: labels are collated there."""
    frame, hot = _multi_hot(root)
    videos = VideoClassificationData.from_data_frame(
        "video", list(CLASSES), train_data_frame=frame, train_videos_root=root / "train"
    ).videos("train")
    seen: list[torch.Tensor] = []

    def transform(sample: dict[str, Any]) -> dict[str, Any]:
        seen.append(sample["label"])
        return {**sample, "video": sample["video"][:, :4, :8, :8].float()}

    loader = ClipLoader(
        videos,
        clip_sampler=make_clip_sampler("uniform", 0.5),
        transform=transform,
        batch_size=3,
        video_sampler=SequentialSampler,
        device="cpu",
        num_workers=1,
    )
    try:
        batches = list(loader)
    finally:
        loader.close()
    assert not loader.lowered.fully_lowered and seen and seen[0].shape == (3,)
    for batch in batches:
        assert torch.equal(batch["label"], hot[batch["video_index"]])


def test_multi_label_training_steps(root: Path, one_thread: None) -> None:
    frame, _ = _multi_hot(root)
    val = frame.iloc[[0, 3]]
    dm = VideoClassificationData.from_data_frame(
        "video",
        list(CLASSES),
        train_data_frame=frame,
        train_videos_root=root / "train",
        val_data_frame=val,
        val_videos_root=root / "train",
        **_options(batch_size=2),
    )
    model = VideoClassifier(
        num_classes=dm.num_classes,
        multi_label=dm.multi_label,
        backbone=TinyBackbone(),
        pretrained=False,
    )
    before = [p.detach().clone() for p in model.parameters()]
    trainer = fastvid.Trainer(
        max_epochs=1, limit_train_batches=3, limit_val_batches=1, **quiet_trainer_kwargs()
    )
    trainer.fit(model, datamodule=dm)
    metrics = trainer.callback_metrics
    assert {"train_loss", "train_f1score", "val_loss", "val_f1score"} <= set(metrics)
    assert torch.isfinite(metrics["train_loss"])
    assert trainer.global_step == 3
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_predict_rows_need_no_targets(root: Path) -> None:
    frame = _table(root / "train", root / "train")
    dm = VideoClassificationData.from_data_frame(
        "video",
        "label",
        train_data_frame=frame,
        train_videos_root=root / "train",
        predict_data_frame=frame[["video"]],
        predict_videos_root=root / "train",
        val_videos_root=root / "val",  # unused without val_data_frame, as in Flash
    )
    assert dm.stages == ("train", "predict") and dm.labels == list(CLASSES)
    assert {v.label for v in dm.videos("predict")} == {-1}


def test_errors_name_the_column_the_file_and_the_path(root: Path, tmp_path: Path) -> None:
    csv = tmp_path / "train.csv"
    _table(root / "train", root / "train").to_csv(csv, index=False)
    with pytest.raises(
        ValueError, match=rf"column 'target' is not in CSV file {re.escape(str(csv))}"
    ):
        VideoClassificationData.from_csv("video", "target", train_file=csv)
    missing = re.escape(str(tmp_path / "cat"))
    with pytest.raises(FileNotFoundError, match=rf"resolved to {missing}/.*\(line 2 of "):
        VideoClassificationData.from_csv("video", "label", train_file=csv)  # root: the CSV's folder
    with pytest.raises(ValueError, match="target_fields is needed for the train data_frame"):
        VideoClassificationData.from_data_frame("video", train_data_frame=_table(root, root))
    with pytest.raises(ValueError, match=r"unknown class 'fox' \(row 0 of the val_data_frame\)"):
        VideoClassificationData.from_data_frame(
            "video",
            "label",
            train_data_frame=_table(root / "train", root),
            train_videos_root=root,
            val_data_frame=pd.DataFrame(
                {
                    "video": ["val/cat/" + Path(_table(root / "val", root)["video"][0]).name],
                    "label": ["fox"],
                }
            ),
            val_videos_root=root,
        )


def test_from_csv_keeps_the_path_label_lists(root: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    files = sorted((root / "train").rglob("*.webm"))
    listing.write_text("".join(f"{f.relative_to(root)} {f.parent.name}\n" for f in files))
    old = VideoClassificationData.from_csv(train_file=listing, root=root)
    assert old.labels == list(CLASSES) and old.videos("train").paths == [str(f) for f in files]
    same = VideoClassificationData.from_csv(train_file=listing, train_videos_root=root)
    assert same.videos("train") == old.videos("train")
    with pytest.raises(TypeError, match=r"first argument is the input_field column .* train_file="):
        VideoClassificationData.from_csv(str(listing))
    with pytest.raises(TypeError, match=r"got the file name '.*missing.csv'"):
        VideoClassificationData.from_csv(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="target_fields, train_resolver need input_field"):
        VideoClassificationData.from_csv(
            target_fields="label", train_file=listing, train_resolver=lambda r, i: i
        )
