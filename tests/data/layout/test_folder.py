"""Class-per-folder trees: PyTorchVideo's order, classes, extensions, symlinks."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from fastvid.data.layout import (
    from_folder,
)
from tests.data.layout import touch


def test_from_folder_matches_pytorchvideo_order(tree: Path) -> None:
    from pytorchvideo.data.labeled_video_paths import LabeledVideoPaths

    expected = LabeledVideoPaths.from_directory(str(tree))
    got = from_folder(tree)

    assert got.classes == ("archery", "bowling")
    assert [(v.path, v.label) for v in got] == [
        (os.path.abspath(path), info["label"])
        for path, info in (expected[i] for i in range(len(expected)))
    ]
    assert got.as_pytorchvideo() == [(v.path, {"label": v.label}) for v in got]


def test_from_folder_nested_hidden_and_case(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "cat/a.MP4",
        "cat/sub/b.WebM",
        "cat/.hidden.mp4",
        "cat/.cache/c.mp4",
        "cat/notes.txt",
        "dog/x.mkv",
        ".git/objects.mp4",
        "loose.mp4",  # files directly in root belong to no class
    )
    got = from_folder(tmp_path)
    assert got.classes == ("cat", "dog")
    assert [(Path(v.path).relative_to(tmp_path).as_posix(), v.label) for v in got] == [
        ("cat/a.MP4", 0),
        ("cat/sub/b.WebM", 0),
        ("dog/x.mkv", 1),
    ]
    assert all(os.path.isabs(v.path) for v in got)


def test_from_folder_is_deterministic_and_relative_root_is_made_absolute(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree.parent)
    assert from_folder("data") == from_folder(tree)


def test_from_folder_classes_select_and_order(tree: Path) -> None:
    got = from_folder(tree, classes=["bowling", "archery"])
    assert got.classes == ("bowling", "archery")
    assert {Path(v.path).parent.name for v in got if v.label == 0} == {"bowling"}

    only = from_folder(tree, classes=["bowling"])
    assert only.classes == ("bowling",) and len(only) == 2

    with pytest.raises(FileNotFoundError, match=r"\['cycling'\] not found.*archery"):
        from_folder(tree, classes=["cycling"])


def test_from_folder_custom_extensions(tmp_path: Path) -> None:
    touch(tmp_path, "a/x.ts", "a/y.mp4", "b/z.TS")
    got = from_folder(tmp_path, extensions=("ts",))
    assert [Path(v.path).name for v in got] == ["x.ts", "z.TS"]
    with pytest.raises(TypeError, match="got the string"):
        from_folder(tmp_path, extensions=".ts")


def test_from_folder_missing_root(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match=f"{re.escape(str(missing))} does not exist"):
        from_folder(missing)


def test_from_folder_root_is_a_file(tmp_path: Path) -> None:
    (file,) = touch(tmp_path, "list.csv")
    with pytest.raises(NotADirectoryError, match=f"{re.escape(file)} is not a folder.*from_csv"):
        from_folder(file)


def test_from_folder_without_class_folders(tmp_path: Path) -> None:
    touch(tmp_path, "video.mp4", ".hidden/x.mp4")
    with pytest.raises(ValueError, match="has no class sub-folders"):
        from_folder(tmp_path)


def test_from_folder_empty_class_names_folder_and_extensions(tmp_path: Path) -> None:
    touch(tmp_path, "a/x.mp4", "b/readme.txt", "b/.y.mp4")
    with pytest.raises(
        ValueError,
        match=r"class folder .*/b has no videos with extensions "
        r"\.mp4, \.avi.*extensions=",
    ):
        from_folder(tmp_path)


@pytest.mark.timeout(20)
def test_from_folder_symlink_loop_is_skipped_with_a_warning(tmp_path: Path) -> None:
    touch(tmp_path, "a/x.mp4", "a/sub/y.mp4")
    loop = tmp_path / "a" / "sub" / "back"
    loop.symlink_to(tmp_path / "a", target_is_directory=True)
    with pytest.warns(RuntimeWarning, match=f"skipping {re.escape(str(loop))}: a symlink loop"):
        got = from_folder(tmp_path)
    assert [Path(v.path).name for v in got] == ["x.mp4", "y.mp4"]


def test_from_folder_symlink_to_the_dataset_root_is_a_loop(tmp_path: Path) -> None:
    touch(tmp_path, "a/x.mp4", "b/y.mp4")
    (tmp_path / "a" / "up").symlink_to(tmp_path, target_is_directory=True)
    with pytest.warns(RuntimeWarning, match="symlink loop"):
        got = from_folder(tmp_path)
    assert [(Path(v.path).name, v.label) for v in got] == [("x.mp4", 0), ("y.mp4", 1)]


def test_from_folder_follows_symlinked_folders_unless_told_not_to(tmp_path: Path) -> None:
    touch(tmp_path, "store/v1.mp4", "data/a/own.mp4")
    (tmp_path / "data" / "a" / "linked").symlink_to(tmp_path / "store")
    assert len(from_folder(tmp_path / "data")) == 2
    assert len(from_folder(tmp_path / "data", follow_symlinks=False)) == 1


def test_from_folder_warns_about_broken_symlinks(tmp_path: Path) -> None:
    touch(tmp_path, "a/ok.mp4")
    (tmp_path / "a" / "gone.mp4").symlink_to(tmp_path / "missing.mp4")
    with pytest.warns(RuntimeWarning, match="broken symlink .*gone.mp4"):
        assert len(from_folder(tmp_path)) == 1
