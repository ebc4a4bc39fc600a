"""Which videos ``fastvid bench PATH`` measures: PATH's layouts and the seeded samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastvid.benchmark._sample import (
    list_videos,
    sample_by_count,
    sample_by_minutes,
    sample_videos,
)
from fastvid.testing import make_dataset, make_video


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Class folders a/, b/ with two 1 s videos each."""
    root = tmp_path_factory.mktemp("tree")
    return make_dataset(root, splits=None, size=(64, 48), duration=1.0, fps=10)


def test_class_folders_are_read_as_pytorchvideo_does(tree: Path) -> None:
    pairs, layout = list_videos(tree)
    assert layout == "class folders"
    assert [(Path(p).relative_to(tree).as_posix(), label) for p, label in pairs] == [
        ("a/a_0.webm", 0),
        ("a/a_1.webm", 0),
        ("b/b_0.webm", 1),
        ("b/b_1.webm", 1),
    ]


def test_a_folder_of_videos_at_any_depth(tree: Path, tmp_path: Path) -> None:
    flat = tmp_path / "flat"
    (flat / "deeper" / "more").mkdir(parents=True)
    (flat / "deeper" / "x.webm").symlink_to(tree / "a" / "a_0.webm")
    (flat / "deeper" / "more" / "y.webm").symlink_to(tree / "b" / "b_0.webm")
    (flat / "notes.txt").write_text("not a video")
    (flat / "empty").mkdir()  # not a class-per-folder tree: a sub-folder without videos
    pairs, layout = list_videos(flat)
    assert layout == "folder"
    assert [Path(p).name for p, _ in pairs] == ["x.webm", "y.webm"]
    assert {label for _, label in pairs} == {0}
    (flat / "empty").rmdir()
    assert list_videos(flat)[1] == "class folders"  # deeper/ is a class now
    (flat / "z.webm").symlink_to(tree / "a" / "a_1.webm")  # a video directly in PATH
    pairs, layout = list_videos(flat)
    assert layout == "folder" and len(pairs) == 3


def test_a_list_file(tree: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"{tree}/b/b_1.webm 1\n{tree}/a/a_0.webm 0\n")
    pairs, layout = list_videos(listing)
    assert layout == "list file"
    assert [(Path(p).name, label) for p, label in pairs] == [("b_1.webm", 1), ("a_0.webm", 0)]


def test_a_missing_or_empty_path_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        list_videos(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="holds no videos"):
        list_videos(tmp_path)


def test_the_sample_is_seeded_and_keeps_the_list_order() -> None:
    pairs = [(f"v{i:03d}.mp4", i % 3) for i in range(100)]
    first = sample_by_count(pairs, 10, seed=3)
    assert first == sample_by_count(pairs, 10, seed=3)
    assert first != sample_by_count(pairs, 10, seed=4)
    assert len(first) == 10 and first == sorted(first)
    assert sample_by_count(pairs[:4], 10, seed=0) == pairs[:4]  # fewer than asked: all
    with pytest.raises(ValueError, match=r"count \(0\)"):
        sample_by_count(pairs, 0, seed=0)


def test_minutes_add_up_durations_until_reached(tree: Path) -> None:
    pairs, _ = list_videos(tree)
    seconds = 1.0  # each video's duration
    chosen, _ = sample_by_minutes(pairs, 2.5 * seconds / 60, seed=0)
    assert len(chosen) == 3 and chosen == [p for p in pairs if p in chosen]  # list order
    assert chosen == sample_by_minutes(pairs, 2.5 * seconds / 60, seed=0)[0]
    everything, _ = sample_by_minutes(pairs, 10.0, seed=0)
    assert everything == pairs
    with pytest.raises(ValueError, match="minutes"):
        sample_by_minutes(pairs, 0, seed=0)


def test_unreadable_files_are_left_out_with_why(tree: Path, tmp_path: Path) -> None:
    root = tmp_path / "mixed"
    (root / "a").mkdir(parents=True)
    make_video(root / "a" / "good.webm", size=(64, 48), duration=1.0, fps=10)
    (root / "a" / "bad.mp4").write_bytes(b"\0" * 4096)
    sample = sample_videos(root, count=None, minutes=None, seed=0)
    assert [Path(p).name for p, _ in sample.pairs] == ["good.webm"]
    assert list(map(lambda p: Path(p).name, sample.unreadable)) == ["bad.mp4"]
    assert sample.listed == 2 and sample.index.meta(sample.pairs[0][0]).num_frames == 10
    (root / "a" / "good.webm").unlink()
    with pytest.raises(ValueError, match="none of the 1 sampled videos"):
        sample_videos(root, count=None, minutes=None, seed=0)
