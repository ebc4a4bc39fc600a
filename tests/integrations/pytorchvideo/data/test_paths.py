"""``LabeledVideoPaths``: PyTorchVideo's list files and class folders, read as it reads them
(compared with PyTorchVideo's own ``LabeledVideoPaths``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytorchvideo.data.labeled_video_paths import LabeledVideoPaths as PtvPaths

from fastvid.data import LabeledVideoPaths


def _items(paths: object) -> list[tuple[str, dict[str, object]]]:
    return [paths[i] for i in range(len(paths))]  # type: ignore[index, arg-type]


def test_list_file_as_pytorchvideo_reads_it(tmp_path: Path) -> None:
    listing = tmp_path / "train.csv"
    listing.write_text("a/x.mp4 0\nb/with space.avi 3\nunlabeled.mp4\n")
    ours, theirs = LabeledVideoPaths.from_path(listing), PtvPaths.from_path(str(listing))
    ours.path_prefix = theirs.path_prefix = "/data"
    assert len(ours) == 3
    assert _items(ours) == _items(theirs)
    assert _items(ours)[1] == ("/data/b/with space.avi", {"label": 3})


def test_class_folders_as_pytorchvideo_lists_them(tmp_path: Path) -> None:
    for name in ("b/2.mp4", "b/10.avi", "a/x.mp4", "a/nested/y.mp4", "a/skip.mkv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    ours, theirs = LabeledVideoPaths.from_path(tmp_path), PtvPaths.from_path(str(tmp_path))
    assert _items(ours) == _items(theirs)
    assert [info["label"] for _, info in _items(ours)] == [0, 0, 1, 1]


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing"):
        LabeledVideoPaths.from_path(tmp_path / "nothing")
    bad = tmp_path / "bad.txt"
    bad.write_text("a.mp4 0\nb.mp4 cat\n")
    with pytest.raises(ValueError, match="line 2"):
        LabeledVideoPaths.from_csv(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(AssertionError, match="Failed to load"):  # also a ValueError
        LabeledVideoPaths.from_csv(empty)
