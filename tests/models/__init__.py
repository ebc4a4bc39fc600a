"""Test helpers for ``fastvid.models``: a tiny datamodule yielding fastvid's batch dicts."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class RandomClips(Dataset[dict[str, Any]]):
    """Random clips whose mean brightness encodes the label (so a model can learn them)."""

    def __init__(
        self, num_videos: int, num_classes: int, clip: tuple[int, int, int], seed: int
    ) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.labels = torch.arange(num_videos) % num_classes
        self.videos = torch.randn(num_videos, 3, *clip, generator=generator)
        self.videos += self.labels.view(-1, 1, 1, 1, 1).float()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {
            "video": self.videos[index],
            "label": self.labels[index],
            "video_name": f"video_{index // 2}.mp4",  # two clips per video
            "video_index": index // 2,
            "clip_index": index % 2,
            "aug_index": 0,
        }


class RandomVideoData(pl.LightningDataModule):
    """A LightningDataModule with ``VideoClassificationData``'s batch layout."""

    def __init__(
        self,
        *,
        num_classes: int = 3,
        num_videos: int = 6,
        clip: tuple[int, int, int] = (4, 32, 32),
        batch_size: int = 2,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.batch_size = batch_size
        self.train_set = RandomClips(num_videos, num_classes, clip, seed)
        self.val_set = RandomClips(num_videos, num_classes, clip, seed + 1)

    def train_dataloader(self) -> DataLoader[dict[str, Any]]:
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader[dict[str, Any]]:
        return DataLoader(self.val_set, batch_size=self.batch_size)

    def test_dataloader(self) -> DataLoader[dict[str, Any]]:
        return DataLoader(self.val_set, batch_size=self.batch_size)

    def predict_dataloader(self) -> DataLoader[dict[str, Any]]:
        return DataLoader(self.val_set, batch_size=self.batch_size)


class TinyBackbone(nn.Module):
    """Conv -> BN -> ReLU -> Conv -> BN -> ReLU -> pool -> Linear; ``num_features`` = 6."""

    num_features = 6

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(3, 4, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm3d(4)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv3d(4, 8, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm3d(8)
        self.act2 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(8, self.num_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        return self.fc(self.pool(x).flatten(1))


def quiet_trainer_kwargs() -> dict[str, Any]:
    """Trainer options that keep tests fast and silent."""
    return {
        "accelerator": "cpu",
        "devices": 1,
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
    }


def random_clip(shape: tuple[int, int, int], batch: int = 1, seed: int = 0) -> torch.Tensor:
    """``(batch, 3, T, H, W)`` standard-normal clips, the same for the same seed."""
    return torch.randn(batch, 3, *shape, generator=torch.Generator().manual_seed(seed))
