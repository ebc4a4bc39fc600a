"""Generated class-per-folder trees: layout, determinism, per-class options, bad arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from fastvid.testing import make_dataset, read_frame_index

SMALL: dict[str, Any] = {"size": (64, 48), "duration": 0.3}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def test_layout_with_splits(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "data", **SMALL)
    assert root == tmp_path / "data"
    assert _files(root) == {
        f"{split}/{name}/{name}_{i}.webm"
        for split in ("train", "val")
        for name in ("a", "b")
        for i in range(2)
    }
    for path in root.rglob("*.webm"):
        assert read_frame_index(_first_frame(path)) == 0


def test_layout_without_splits_and_explicit_ext(tmp_path: Path) -> None:
    root = make_dataset(
        tmp_path,
        classes=("cat", "dog", "eel"),
        per_class=1,
        splits=None,
        codec="h264",
        ext="mkv",
        **SMALL,
    )
    assert _files(root) == {"cat/cat_0.mkv", "dog/dog_0.mkv", "eel/eel_0.mkv"}


def test_same_seed_same_bytes_and_videos_differ(tmp_path: Path) -> None:
    first = make_dataset(tmp_path / "1", seed=5, splits=("train",), **SMALL)
    second = make_dataset(tmp_path / "2", seed=5, splits=("train",), **SMALL)
    other = make_dataset(tmp_path / "3", seed=6, splits=("train",), **SMALL)
    names = sorted(_files(first))
    assert names == sorted(_files(second))
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes()
        assert (first / name).read_bytes() != (other / name).read_bytes()
    # Every video has its own content.
    frames = [_first_frame(first / name)[16:] for name in names]
    for i in range(len(frames)):
        for j in range(i + 1, len(frames)):
            assert np.abs(frames[i].astype(int) - frames[j]).mean() > 5


def test_class_kwargs_override_video_kwargs(tmp_path: Path) -> None:
    root = make_dataset(
        tmp_path,
        classes=("short", "long"),
        per_class=1,
        splits=None,
        content="flat",
        fps=10,
        duration=0.5,
        class_kwargs={"long": {"duration": 1.0, "size": (96, 72)}},
    )
    with av.open(str(root / "short" / "short_0.webm")) as container:
        assert container.streams.video[0].codec_context.width == 160
        assert sum(1 for _ in container.decode(video=0)) == 5
    with av.open(str(root / "long" / "long_0.webm")) as container:
        assert container.streams.video[0].codec_context.width == 96
        assert sum(1 for _ in container.decode(video=0)) == 10


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"classes": ()}, ValueError, r"classes \(\(\)\) must not be empty"),
        ({"classes": "ab"}, TypeError, "classes must be a sequence of strings"),
        ({"classes": ("a", "a")}, ValueError, r"has duplicates: \['a'\]"),
        ({"classes": ("a", "x/y")}, ValueError, r"classes entry \('x/y'\) must be a plain"),
        ({"classes": ("a", 1)}, TypeError, "classes must contain strings"),
        ({"splits": ("train", "")}, ValueError, r"splits entry \(''\) must be a plain"),
        ({"per_class": 0}, ValueError, r"per_class \(0\) must be >= 1"),
        ({"ext": ".xyz"}, ValueError, r"ext \('\.xyz'\) must be one of"),
        ({"class_kwargs": {"c": {}}}, ValueError, r"unknown classes \['c'\]"),
        ({"class_kwargs": {"a": {"seed": 1}}}, ValueError, r"must not set \['seed'\]"),
        ({"path": "x"}, TypeError, r"make_dataset sets \['path'\] itself"),
        ({"size": (63, 48)}, ValueError, r"size \(63, 48\) must be even"),
    ],
)
def test_bad_arguments(
    kwargs: dict[str, Any], error: type[Exception], match: str, tmp_path: Path
) -> None:
    with pytest.raises(error, match=match):
        make_dataset(tmp_path / "d", **{**SMALL, **kwargs})
