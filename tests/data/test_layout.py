"""Dataset layouts: class-per-folder trees, CSV/text lists and (path, label) pairs.

Layouts never open a video, so empty files with video extensions stand in for videos.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from fastvid.data.layout import (
    VIDEO_EXTENSIONS,
    LabeledVideo,
    LabeledVideoList,
    from_csv,
    from_folder,
    from_pairs,
)


def _touch(root: Path, *relative: str) -> list[str]:
    paths = []
    for rel in relative:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        paths.append(str(path))
    return paths


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    _touch(
        root,
        "bowling/b2.mp4",
        "bowling/b1.avi",
        "archery/z.mp4",
        "archery/takes/t1.mp4",
        "archery/takes b/t0.mp4",  # " " sorts before "/": PyTorchVideo order is by folder path
        "archery/a.avi",
        "archery/deep/er/d.mp4",
    )
    return root


# ------------------------------------------------------------------------------------ folders


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
    _touch(
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
    _touch(tmp_path, "a/x.ts", "a/y.mp4", "b/z.TS")
    got = from_folder(tmp_path, extensions=("ts",))
    assert [Path(v.path).name for v in got] == ["x.ts", "z.TS"]
    with pytest.raises(TypeError, match="got the string"):
        from_folder(tmp_path, extensions=".ts")


def test_from_folder_missing_root(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match=f"{re.escape(str(missing))} does not exist"):
        from_folder(missing)


def test_from_folder_root_is_a_file(tmp_path: Path) -> None:
    (file,) = _touch(tmp_path, "list.csv")
    with pytest.raises(NotADirectoryError, match=f"{re.escape(file)} is not a folder.*from_csv"):
        from_folder(file)


def test_from_folder_without_class_folders(tmp_path: Path) -> None:
    _touch(tmp_path, "video.mp4", ".hidden/x.mp4")
    with pytest.raises(ValueError, match="has no class sub-folders"):
        from_folder(tmp_path)


def test_from_folder_empty_class_names_folder_and_extensions(tmp_path: Path) -> None:
    _touch(tmp_path, "a/x.mp4", "b/readme.txt", "b/.y.mp4")
    with pytest.raises(
        ValueError,
        match=r"class folder .*/b has no videos with extensions "
        r"\.mp4, \.avi.*extensions=",
    ):
        from_folder(tmp_path)


@pytest.mark.timeout(20)
def test_from_folder_symlink_loop_is_skipped_with_a_warning(tmp_path: Path) -> None:
    _touch(tmp_path, "a/x.mp4", "a/sub/y.mp4")
    loop = tmp_path / "a" / "sub" / "back"
    loop.symlink_to(tmp_path / "a", target_is_directory=True)
    with pytest.warns(RuntimeWarning, match=f"skipping {re.escape(str(loop))}: a symlink loop"):
        got = from_folder(tmp_path)
    assert [Path(v.path).name for v in got] == ["x.mp4", "y.mp4"]


def test_from_folder_symlink_to_the_dataset_root_is_a_loop(tmp_path: Path) -> None:
    _touch(tmp_path, "a/x.mp4", "b/y.mp4")
    (tmp_path / "a" / "up").symlink_to(tmp_path, target_is_directory=True)
    with pytest.warns(RuntimeWarning, match="symlink loop"):
        got = from_folder(tmp_path)
    assert [(Path(v.path).name, v.label) for v in got] == [("x.mp4", 0), ("y.mp4", 1)]


def test_from_folder_follows_symlinked_folders_unless_told_not_to(tmp_path: Path) -> None:
    _touch(tmp_path, "store/v1.mp4", "data/a/own.mp4")
    (tmp_path / "data" / "a" / "linked").symlink_to(tmp_path / "store")
    assert len(from_folder(tmp_path / "data")) == 2
    assert len(from_folder(tmp_path / "data", follow_symlinks=False)) == 1


def test_from_folder_warns_about_broken_symlinks(tmp_path: Path) -> None:
    _touch(tmp_path, "a/ok.mp4")
    (tmp_path / "a" / "gone.mp4").symlink_to(tmp_path / "missing.mp4")
    with pytest.warns(RuntimeWarning, match="broken symlink .*gone.mp4"):
        assert len(from_folder(tmp_path)) == 1


# ------------------------------------------------------------------------------------ CSV


def test_from_csv_matches_pytorchvideo_format(tree: Path, tmp_path: Path) -> None:
    from pytorchvideo.data.labeled_video_paths import LabeledVideoPaths

    videos = from_folder(tree)
    listing = tmp_path / "train.txt"
    listing.write_text("".join(f"{v.path} {v.label}\n" for v in videos))
    expected = LabeledVideoPaths.from_csv(str(listing))
    got = from_csv(listing)
    assert [(v.path, {"label": v.label}) for v in got] == [
        expected[i] for i in range(len(expected))
    ]
    assert got.classes == ("0", "1")


@pytest.mark.parametrize("separator", [" ", ",", "\t", "  ", " , "])
def test_from_csv_separators(tmp_path: Path, separator: str) -> None:
    _touch(tmp_path, "v/a.mp4", "v/my clip, take 2.mp4")
    listing = tmp_path / "list.csv"
    listing.write_text(f"v/a.mp4{separator}1\nv/my clip, take 2.mp4{separator}0\n")
    got = from_csv(listing)
    assert [(Path(v.path).name, v.label) for v in got] == [
        ("a.mp4", 1),
        ("my clip, take 2.mp4", 0),
    ]


def test_from_csv_class_names_comments_header_and_root(tmp_path: Path) -> None:
    _touch(tmp_path, "videos/a.mp4", "videos/b.mp4", "videos/c.mp4")
    listing = tmp_path / "lists" / "train.csv"
    listing.parent.mkdir()
    listing.write_text(
        "path,label\n# a comment\n\na.mp4,dog\n  b.mp4 , cat  \n" + f"{tmp_path}/videos/c.mp4,dog\n"
    )
    got = from_csv(listing, root=tmp_path / "videos")
    assert got.classes == ("cat", "dog")
    assert [(Path(v.path).name, v.label) for v in got] == [("a.mp4", 1), ("b.mp4", 0), ("c.mp4", 1)]

    ordered = from_csv(listing, root=tmp_path / "videos", classes=["dog", "cat"])
    assert [v.label for v in ordered] == [0, 1, 0]

    with pytest.raises(ValueError, match=r"unknown class name 'dog' \(line 4.*classes are"):
        from_csv(listing, root=tmp_path / "videos", classes=["cat"])


def test_from_csv_relative_paths_default_to_the_list_folder(tmp_path: Path) -> None:
    _touch(tmp_path, "a.mp4")
    (tmp_path / "l.txt").write_text("a.mp4 0\n")
    assert from_csv(tmp_path / "l.txt")[0] == LabeledVideo(str(tmp_path / "a.mp4"), 0)


def test_from_csv_explicit_delimiter_and_unlabeled_lines(tmp_path: Path) -> None:
    _touch(tmp_path, "a 1.mp4", "b.mp4")
    listing = tmp_path / "test.txt"
    listing.write_text("a 1.mp4|0\nb.mp4\n")
    got = from_csv(listing, delimiter="|")
    assert [v.label for v in got] == [0, -1]
    (tmp_path / "auto.txt").write_text("a 1.mp4\n")
    assert [v.label for v in from_csv(tmp_path / "auto.txt")] == [-1]
    with pytest.raises(ValueError, match="delimiter must be one character"):
        from_csv(listing, delimiter="||")


def test_from_csv_missing_video_names_it_and_the_line(tmp_path: Path) -> None:
    _touch(tmp_path, "a.mp4")
    listing = tmp_path / "l.csv"
    listing.write_text("a.mp4,0\n\nghost.mp4,1\n")
    with pytest.raises(FileNotFoundError, match=rf"{tmp_path}/ghost.mp4 \(line 3 of .*l.csv\)"):
        from_csv(listing)


def test_from_csv_unknown_extension(tmp_path: Path) -> None:
    _touch(tmp_path, "a.txt")
    (tmp_path / "l.csv").write_text("a.txt,0\n")
    with pytest.raises(ValueError, match=r"a\.txt \(line 1.*not one of \.mp4, \.avi.*extensions="):
        from_csv(tmp_path / "l.csv")
    assert len(from_csv(tmp_path / "l.csv", extensions=[".txt"])) == 1


def test_from_csv_bad_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"video list file .*missing\.csv does not exist"):
        from_csv(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("# nothing\n\n")
    with pytest.raises(ValueError, match="lists no videos"):
        from_csv(tmp_path / "empty.csv")
    _touch(tmp_path, "a.mp4", "b.mp4")
    (tmp_path / "mixed.csv").write_text("a.mp4,0\nb.mp4,cat\n")
    with pytest.raises(
        ValueError, match=r"mix integers and class names: 0 \(line 1.*'cat' \(line 2"
    ):
        from_csv(tmp_path / "mixed.csv")
    (tmp_path / "neg.csv").write_text("a.mp4,-3\n")
    with pytest.raises(ValueError, match=r"label -3 \(line 1.*must be >= 0"):
        from_csv(tmp_path / "neg.csv")
    (tmp_path / "range.csv").write_text("a.mp4 2\n")
    with pytest.raises(ValueError, match=r"label 2 of .*a\.mp4 \(line 1.*out of range.*2 classes"):
        from_csv(tmp_path / "range.csv", classes=["x", "y"])


# ------------------------------------------------------------------------------------ pairs


def test_from_pairs_int_and_named_labels(tmp_path: Path) -> None:
    a, b, c = _touch(tmp_path, "a.mp4", "b.webm", "c.MOV")
    ints = from_pairs([(a, 2), (Path(b), 0)])
    assert ints.classes == ("0", "1", "2")
    assert list(ints) == [LabeledVideo(a, 2), LabeledVideo(b, 0)]

    named = from_pairs([(a, "zebra"), (b, "ant"), (c, "zebra")])
    assert named.classes == ("ant", "zebra")
    assert [v.label for v in named] == [1, 0, 1]

    given = from_pairs([(a, "zebra")], classes=("zebra", "ant"))
    assert given.classes == ("zebra", "ant") and given[0].label == 0


def test_from_pairs_errors(tmp_path: Path) -> None:
    (a,) = _touch(tmp_path, "a.mp4")
    with pytest.raises(FileNotFoundError, match=r"ghost\.mp4 \(pair 1\) does not exist"):
        from_pairs([(a, 0), (tmp_path / "ghost.mp4", 0)])
    with pytest.raises(ValueError, match=r"clip\.xyz \(pair 0\) is not a video file.*\.mp4"):
        from_pairs([(tmp_path / "clip.xyz", 0)])
    with pytest.raises(TypeError, match=r"label True \(pair 0\) must be an int or a class name"):
        from_pairs([(a, True)])
    with pytest.raises(TypeError, match="must be \\(path, label\\) tuples"):
        from_pairs([a])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="pairs is empty"):
        from_pairs([])
    with pytest.raises(ValueError, match=r"classes must be unique, got duplicates \['x'\]"):
        from_pairs([(a, 0)], classes=["x", "x"])


# ------------------------------------------------------------------------------------ the list


def test_labeled_video_list_container_protocol(tree: Path) -> None:
    videos = from_folder(tree)
    assert len(videos) == 7
    assert videos[0] == next(iter(videos))
    assert videos[-1].label == 1
    head = videos[:2]
    assert isinstance(head, LabeledVideoList) and len(head) == 2 and head.classes == videos.classes
    assert videos.paths == [v.path for v in videos]
    with pytest.raises(AttributeError):
        videos.classes = ()  # type: ignore[misc]


def test_labeled_video_list_rejects_out_of_range_labels() -> None:
    with pytest.raises(ValueError, match=r"label 3 of /x\.mp4 is out of range.*\[0, 1\]"):
        LabeledVideoList((LabeledVideo("/x.mp4", 3),), ("a", "b"))


def test_default_extensions_are_lowercase_with_dots() -> None:
    assert all(ext.startswith(".") and ext == ext.lower() for ext in VIDEO_EXTENSIONS)
    assert {".mp4", ".avi", ".webm", ".mkv"} <= set(VIDEO_EXTENSIONS)
