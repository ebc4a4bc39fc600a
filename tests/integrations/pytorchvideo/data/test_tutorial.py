"""README "Coming from PyTorchVideo": PyTorchVideo's classification example (its Kinetics
``LightningDataModule`` with ``LimitDataset`` and torch's ``DataLoader``) runs as the README
prints it on a generated Kinetics layout, and its validation clips are PyTorchVideo's."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

import fastvid  # noqa: F401  (installs the pytorchvideo.transforms shim)
from fastvid.testing import make_dataset

README = Path(__file__).resolve().parents[4] / "README.md"
CLASSES = ("archery", "bowling")


def _tutorial_code() -> str:
    text = README.read_text()
    section = text.split("### Coming from PyTorchVideo", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README's 'Coming from PyTorchVideo' section has no python block"
    return match.group(1)


@pytest.fixture(scope="module")
def kinetics(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``root/{train,val}/<class>/<video>.mp4`` plus ``train.csv`` / ``val.csv`` lists."""
    root = tmp_path_factory.mktemp("kinetics")
    make_dataset(
        root, classes=CLASSES, per_class=1, splits=("train", "val"), codec="h264",
        size=(80, 64), duration=2.0, fps=10,
    )  # fmt: skip
    for split in ("train", "val"):
        lines = [
            f"{video.relative_to(root)} {label}"
            for label, name in enumerate(CLASSES)
            for video in sorted((root / split / name).iterdir())
        ]
        (root / f"{split}.csv").write_text("\n".join(lines) + "\n")
    return root


def _data_module(code: str, root: Path) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(code, "README-tutorial", "exec"), namespace)
    args = SimpleNamespace(
        data_path=str(root), video_path_prefix=str(root), clip_duration=1, batch_size=2,
        workers=0, video_num_subsampled=4, video_means=(0.45, 0.45, 0.45),
        video_stds=(0.225, 0.225, 0.225), video_min_short_side_scale=64,
        video_max_short_side_scale=72, video_crop_size=32, video_horizontal_flip_p=0.5,
    )  # fmt: skip
    module = namespace["KineticsDataModule"](args)
    module.trainer = SimpleNamespace(use_ddp=False)  # the one Lightning 1.x attribute it reads
    return module


def _clips(loader: Any) -> dict[tuple[str, int], torch.Tensor]:
    clips = {}
    for batch in loader:
        for i, name in enumerate(batch["video_name"]):
            clips[(name, int(batch["clip_index"][i]))] = batch["video"][i]
    return clips


def test_tutorial_data_module(kinetics: Path) -> None:
    code = _tutorial_code()
    assert "import fastvid.data" in code and "pytorchvideo.data" not in code.replace(
        "# was: import pytorchvideo.data", ""
    )
    module = _data_module(code, kinetics)

    train = list(module.train_dataloader())
    assert len(train) == 1  # LimitDataset: num_videos (2) samples, batch_size 2
    (batch,) = train
    assert batch["video"].shape == (2, 3, 4, 32, 32)
    assert "audio" not in batch
    assert sorted(batch["label"].tolist()) == [0, 1]  # one random clip of each video

    ours = _clips(module.val_dataloader())
    assert len(ours) == 4  # uniform 1 s clips: two per 2 s video

    # The same code on PyTorchVideo itself: the same validation clips.
    reference = _data_module(code.replace("fastvid.data", "pytorchvideo.data"), kinetics)
    theirs = _clips(reference.val_dataloader())
    assert sorted(ours) == sorted(theirs)
    for key, clip in ours.items():
        assert clip.shape == (3, 4, 32, 32)
        # The validation short side (64) is the videos' own, so no resize blurs the
        # comparison: one level of rounding on 0..255 at most (here / 0.225).
        torch.testing.assert_close(clip, theirs[key], atol=1.01 / 0.225, rtol=0)
