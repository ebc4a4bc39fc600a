"""``Kinetics``, ``Ucf101`` and ``Hmdb51`` follow PyTorchVideo's iterator protocol
(``next(dataset)``) and shard over torch ``DataLoader`` workers as PyTorchVideo's datasets do:
the same samples in the same order as PyTorchVideo 0.1.5's (oracle)."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytorchvideo.data as ptv
import torch
from torch.utils.data import DataLoader, SequentialSampler

import fastvid.data as fv
from fastvid.testing import make_video

CLASSES = {"archery": 2, "bowling": 1}
DATASETS = ["Kinetics", "Ucf101", "Hmdb51"]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class-per-folder tree (Kinetics, Ucf101) and HMDB51 split files over the same videos."""
    root = tmp_path_factory.mktemp("datasets")
    (root / "splits").mkdir()
    for c, (action, count) in enumerate(CLASSES.items()):
        names = [f"v{i}_{action}_u_nm_np1_fr_med_{i}.avi" for i in range(count)]
        for i, name in enumerate(names):
            make_video(
                root / "train" / action / name.replace(".avi", ".mp4"),
                codec="h264",
                size=(64, 48),
                duration=1.0,
                fps=10,
                seed=10 * c + i,
            )
            make_video(
                root / "videos" / action / name,
                codec="mpeg4",
                size=(64, 48),
                duration=1.0,
                fps=10,
                seed=10 * c + i,
            )
        (root / "splits" / f"{action}_test_split1.txt").write_text(
            "".join(f"{name} 1\n" for name in names)
        )
    return root


def _make(module: Any, name: str, root: Path) -> Callable[[], Any]:
    def dataset() -> Any:
        options: dict[str, Any] = {
            "clip_sampler": module.make_clip_sampler("uniform", 0.4),
            "video_sampler": SequentialSampler,
            "decode_audio": False,
        }
        if name == "Hmdb51":
            return module.Hmdb51(root / "splits", video_path_prefix=str(root / "videos"), **options)
        return getattr(module, name)(str(root / "train"), **options)

    return dataset


def _key(sample: dict[str, Any]) -> tuple[Any, ...]:
    return (sample["video_name"], sample["video_index"], sample["clip_index"], sample["label"])


@pytest.mark.parametrize("name", DATASETS)
def test_next_and_torch_workers_equal_pytorchvideo(root: Path, name: str) -> None:
    ours, theirs = _make(fv, name, root), _make(ptv, name, root)
    # Workers first: forking after PyTorchVideo decoded in this process (threaded PyAV) can
    # hang its workers; gc closes the containers earlier tests left open.
    gc.collect()
    for workers in (2, 0):
        got = list(DataLoader(ours(), batch_size=None, num_workers=workers))
        expected = list(DataLoader(theirs(), batch_size=None, num_workers=workers))
        assert [_key(s) for s in got] == [_key(s) for s in expected], workers
        assert len(got) == 2 * sum(CLASSES.values())  # 1 s at 0.4 s a clip: 2 whole clips
        for mine, oracle in zip(got, expected, strict=True):
            assert torch.equal(mine["video"], oracle["video"])

    first, want = next(ours()), next(theirs())
    assert _key(first) == _key(want)
    assert torch.equal(first["video"], want["video"])
