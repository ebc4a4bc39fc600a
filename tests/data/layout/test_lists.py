"""CSV/text lists and (path, label) pairs: PyTorchVideo's format, class names, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastvid.data.layout import (
    LabeledVideo,
    from_csv,
    from_folder,
    from_pairs,
)
from tests.data.layout import touch


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
    touch(tmp_path, "v/a.mp4", "v/my clip, take 2.mp4")
    listing = tmp_path / "list.csv"
    listing.write_text(f"v/a.mp4{separator}1\nv/my clip, take 2.mp4{separator}0\n")
    got = from_csv(listing)
    assert [(Path(v.path).name, v.label) for v in got] == [
        ("a.mp4", 1),
        ("my clip, take 2.mp4", 0),
    ]


def test_from_csv_class_names_comments_header_and_root(tmp_path: Path) -> None:
    touch(tmp_path, "videos/a.mp4", "videos/b.mp4", "videos/c.mp4")
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
    touch(tmp_path, "a.mp4")
    (tmp_path / "l.txt").write_text("a.mp4 0\n")
    assert from_csv(tmp_path / "l.txt")[0] == LabeledVideo(str(tmp_path / "a.mp4"), 0)


def test_from_csv_explicit_delimiter_and_unlabeled_lines(tmp_path: Path) -> None:
    touch(tmp_path, "a 1.mp4", "b.mp4")
    listing = tmp_path / "test.txt"
    listing.write_text("a 1.mp4|0\nb.mp4\n")
    got = from_csv(listing, delimiter="|")
    assert [v.label for v in got] == [0, -1]
    (tmp_path / "auto.txt").write_text("a 1.mp4\n")
    assert [v.label for v in from_csv(tmp_path / "auto.txt")] == [-1]
    with pytest.raises(ValueError, match="delimiter must be one character"):
        from_csv(listing, delimiter="||")


def test_from_csv_missing_video_names_it_and_the_line(tmp_path: Path) -> None:
    touch(tmp_path, "a.mp4")
    listing = tmp_path / "l.csv"
    listing.write_text("a.mp4,0\n\nghost.mp4,1\n")
    with pytest.raises(FileNotFoundError, match=rf"{tmp_path}/ghost.mp4 \(line 3 of .*l.csv\)"):
        from_csv(listing)


def test_from_csv_unknown_extension(tmp_path: Path) -> None:
    touch(tmp_path, "a.txt")
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
    touch(tmp_path, "a.mp4", "b.mp4")
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
    a, b, c = touch(tmp_path, "a.mp4", "b.webm", "c.MOV")
    ints = from_pairs([(a, 2), (Path(b), 0)])
    assert ints.classes == ("0", "1", "2")
    assert list(ints) == [LabeledVideo(a, 2), LabeledVideo(b, 0)]

    named = from_pairs([(a, "zebra"), (b, "ant"), (c, "zebra")])
    assert named.classes == ("ant", "zebra")
    assert [v.label for v in named] == [1, 0, 1]

    given = from_pairs([(a, "zebra")], classes=("zebra", "ant"))
    assert given.classes == ("zebra", "ant") and given[0].label == 0


def test_from_pairs_errors(tmp_path: Path) -> None:
    (a,) = touch(tmp_path, "a.mp4")
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
