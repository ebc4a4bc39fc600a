from __future__ import annotations

from pathlib import Path

import pytest
import torch
from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample
from torch import nn
from torchvision.transforms import CenterCrop, Compose

import fastvid  # noqa: F401
from fastvid.models import VideoClassifier
from fastvid.testing import make_dataset


class _MeanColour(nn.Module):
    """Features = mean of each channel (deterministic, no training needed)."""

    num_features = 3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3, 4))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(
        tmp_path_factory.mktemp("predict") / "ds",
        classes=("a", "b"),
        per_class=2,
        splits=None,
        codec="mjpeg",
        size=(64, 48),
        duration=2.2,
        fps=10,
    )


def test_predict_returns_one_label_per_video(folder: Path) -> None:
    model = VideoClassifier(labels=["x", "y", "z"], backbone=_MeanColour(), pretrained=False)
    transform = {
        "post_tensor_transform": ApplyTransformToKey(
            "video", Compose([UniformTemporalSubsample(4), CenterCrop(32)])
        )
    }
    labels = model.predict(folder, clip_duration=1.0, transform=transform, device="cpu")
    assert sorted(labels) == sorted(str(p) for p in folder.rglob("*.avi"))
    assert set(labels.values()) <= {"x", "y", "z"}
    probs = model.predict(
        folder, clip_duration=1.0, transform=transform, device="cpu", return_probabilities=True
    )
    for path, vector in probs.items():
        assert len(vector) == 3 and abs(sum(vector) - 1) < 1e-5
        assert labels[path] == ["x", "y", "z"][max(range(3), key=vector.__getitem__)]


def test_predict_errors_name_the_input(tmp_path: Path) -> None:
    model = VideoClassifier(num_classes=2, backbone=_MeanColour(), pretrained=False)
    with pytest.raises(FileNotFoundError, match="missing"):
        model.predict(tmp_path / "missing.mp4")
    with pytest.raises(ValueError, match="no videos"):
        model.predict(tmp_path)
    with pytest.raises(ValueError, match="reduce"):
        model.predict(tmp_path, reduce="median")  # type: ignore[arg-type]


def test_predict_runs_device_transforms_in_eval_mode_and_restores_training(folder: Path) -> None:
    model = VideoClassifier(labels=["x", "y", "z"], backbone=_MeanColour(), pretrained=False)
    model.train()
    seen: list[tuple[tuple[int, ...], bool]] = []

    def on_device(batch: dict) -> dict:
        seen.append((tuple(batch["video"].shape), model.training))
        return batch

    transform = {
        "post_tensor_transform": ApplyTransformToKey(
            "video", Compose([UniformTemporalSubsample(2), CenterCrop(16)])
        ),
        "per_batch_transform_on_device": on_device,
    }
    labels = model.predict(folder, clip_duration=1.0, transform=transform, batch_size=2)
    assert len(labels) == 4
    assert seen and all(shape[1:] == (3, 2, 16, 16) and not training for shape, training in seen)
    assert sum(shape[0] for shape, _ in seen) == 8  # two 1 s clips of each 2.2 s video
    assert model.training
