"""Flash 0.8's ``transform=`` / ``transform_kwargs=``: ``InputTransform`` hooks per stage, the
default ``VideoClassificationInputTransform`` lowered into DALI, Flash's keys in user hooks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, SequentialSampler

import fastvid  # noqa: F401
from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.integrations.flash.input_transform import (
    ApplyToKeys,
    InputTransform,
    InputTransformCollate,
    VideoClassificationInputTransform,
    resolve_input_transform,
)
from fastvid.testing import make_dataset


def clips(count: int, frames: int = 6) -> list[torch.Tensor]:
    return [torch.full((3, frames, 12, 12), float(10 * i)) for i in range(count)]


@dataclass
class Marking(InputTransform):
    """Flash-style hooks that leave traces: which stage ran, and which keys they saw."""

    offset: float = 1.0

    def per_sample_transform(self) -> Any:
        return ApplyToKeys("input", lambda x: x + self.offset)

    def train_per_sample_transform(self) -> Any:
        return ApplyToKeys("input", lambda x: x - self.offset)

    def per_batch_transform(self) -> Any:
        def mark(batch: dict[str, Any]) -> dict[str, Any]:
            assert {"input", "target"} <= set(batch) and "video" not in batch
            return {**batch, "seen": sorted(batch)}

        return mark


def test_hooks_run_per_stage_on_flashs_keys() -> None:
    dm = VideoClassificationData.from_tensors(
        train_data=clips(2), train_targets=["a", "b"], val_data=clips(1), val_targets=["b"],
        transform=Marking(offset=5.0), batch_size=2,
    )  # fmt: skip
    train = next(iter(dm.train_dataloader()))
    val = next(iter(dm.val_dataloader()))
    assert torch.equal(train["video"][:, 0, 0, 0, 0], torch.tensor([-5.0, 5.0]))
    assert torch.equal(val["video"][:, 0, 0, 0, 0], torch.tensor([5.0]))
    assert "input" in train["seen"] and "video" not in train["seen"]
    assert train["label"].tolist() == [0, 1]  # back under fastvid's keys


def test_transform_class_with_kwargs_warns_as_flash_and_builds_it() -> None:
    with pytest.warns(FutureWarning, match="instantiated object"):
        dm = VideoClassificationData.from_tensors(
            train_data=clips(1), train_targets=[0], transform=Marking,
            transform_kwargs={"offset": 2.0},
        )  # fmt: skip
    assert isinstance(dm.input_transform, Marking) and dm.input_transform.offset == 2.0
    instance = Marking(offset=3.0)  # an instance is used as given; kwargs ignored (Flash)
    assert resolve_input_transform(instance, {"offset": 9.0}) is instance
    assert resolve_input_transform(None) is None
    path = "fastvid.integrations.flash.input_transform.VideoClassificationInputTransform"  # configs
    assert resolve_input_transform(path, {"image_size": 8}).image_size == 8  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="format for the transform isn't correct"):
        resolve_input_transform("resize")


def test_default_transform_follows_flash_for_in_memory_clips() -> None:
    dm = VideoClassificationData.from_tensors(
        train_data=torch.rand(2, 3, 10, 20, 20) * 255, train_targets=[0, 1],
        transform_kwargs={"image_size": 16, "temporal_sub_sample": 4}, batch_size=2,
    )  # fmt: skip
    batch = next(iter(dm.train_dataloader()))
    assert batch["video"].shape == (2, 3, 4, 16, 16)
    assert float(batch["video"].max()) <= 1.0  # divided by 255
    normalized = dm.on_after_batch_transfer(dict(batch), 0)  # kornia Normalize(0.45, 0.225)
    expected = (batch["video"] - 0.45) / 0.225
    assert torch.allclose(normalized["video"], expected, atol=1e-5)


def test_hook_rules_are_flashs() -> None:
    @dataclass
    class Both(InputTransform):
        def per_batch_transform(self) -> Any:
            return abs

        def per_sample_transform_on_device(self) -> Any:
            return abs

    with pytest.raises(TypeError, match="mutually exclusive"):
        Both()

    @dataclass
    class NotCallable(InputTransform):
        def val_per_sample_transform(self) -> Any:
            return 3

    with pytest.raises(TypeError, match="val_per_sample_transform should return a callable"):
        NotCallable()

    @dataclass
    class Collating(InputTransform):
        def collate(self) -> Any:
            return list

    with pytest.raises(ValueError, match="collates inside its DALI graph"):
        Collating()


def test_no_transform_gives_raw_clips() -> None:
    dm = VideoClassificationData.from_tensors(
        train_data=clips(2, frames=5), train_targets=[0, 1], transform=None, batch_size=2
    )
    assert dm.input_transform is None
    assert next(iter(dm.train_dataloader()))["video"].shape == (2, 3, 5, 12, 12)


def test_video_classification_input_transform_is_lowered_into_dali(tmp_path: Path) -> None:
    root = make_dataset(
        tmp_path / "ds", per_class=1, splits=None, size=(64, 48), duration=1.0, fps=15
    )
    transform = VideoClassificationInputTransform(image_size=(32, 40), temporal_sub_sample=4)
    dm = VideoClassificationData.from_folders(
        root, None, None, None, None, "uniform", 0.5, None, SequentialSampler,
        transform=transform, batch_size=2, device="cpu", num_workers=1,
    )  # fmt: skip
    loader = dm.train_dataloader()
    assert loader.lowered.fully_lowered  # subsample, /255 and the pad-crop run in DALI
    batch = next(iter(loader))
    assert batch["video"].shape == (2, 3, 4, 32, 40)
    assert float(batch["video"].max()) <= 1.0
    dm.teardown()


def test_collate_runs_the_stage_hooks_on_flash_keyed_samples() -> None:
    """Flash's ``Task.process_*_dataset`` path: a torch DataLoader over Flash-keyed samples."""
    samples = [{"input": torch.full((2,), float(i)), "target": i} for i in range(4)]
    train = DataLoader(
        samples, batch_size=2, collate_fn=InputTransformCollate(Marking(10.0), "train")
    )
    batch = next(iter(train))
    assert batch["input"][:, 0].tolist() == [-10.0, -9.0]  # train_per_sample_transform
    assert batch["target"].tolist() == [0, 1] and "target" in batch["seen"]
    val = DataLoader(samples, batch_size=4, collate_fn=InputTransformCollate(Marking(10.0), "val"))
    assert next(iter(val))["input"][:, 0].tolist() == [10.0, 11.0, 12.0, 13.0]
    plain = DataLoader(samples, batch_size=3, collate_fn=InputTransformCollate(None, "test"))
    assert [len(b["target"]) for b in plain] == [3, 1]
