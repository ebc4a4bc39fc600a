"""Tables of videos: data frames and CSV files with named columns, resolvers, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from fastvid.data.layout import (
    LabeledVideo,
    LabeledVideoList,
    default_resolver,
    from_csv_fields,
    from_data_frame,
    from_folder,
    read_table,
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``root/<class>/<video>``: the layout only checks that files exist, so they are empty."""
    root = tmp_path / "videos"
    for name in ("cat/c1.mp4", "cat/c2.mp4", "dog/d1.mp4", "eel/e1.webm"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).touch()
    return root


def _frame_of(root: Path) -> pd.DataFrame:
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.*"))
    return pd.DataFrame({"video": files, "target": [f.split("/")[0] for f in files]})


def test_data_frame_gives_what_the_folder_gives(tree: Path) -> None:
    got = from_data_frame(_frame_of(tree), "video", "target", root=tree)
    assert got == from_folder(tree)
    assert got.target_format is not None and got.target_format.kind == "single_label"
    assert not got.multi_label


def test_a_dict_of_columns_needs_no_pandas(tree: Path) -> None:
    frame = _frame_of(tree)
    columns = {name: list(frame[name]) for name in frame.columns}
    assert from_data_frame(columns, "video", "target", root=tree) == from_folder(tree)


def test_csv_reads_like_pandas(tree: Path, tmp_path: Path) -> None:
    """The csv-module reader against ``pandas.read_csv`` (Flash's loader) on the same file."""
    table = tmp_path / "train.csv"
    table.write_text(
        "video,label,hot_a,hot_b,score\n"
        "videos/cat/c1.mp4,1,1,0,0.5\n"
        "\n"
        '"videos/cat/c2.mp4",0,1,1,1\n'
        "videos/dog/d1.mp4,2,0,1,2.0\n"
    )
    for fields in ("label", ["hot_a", "hot_b"]):
        ours = from_csv_fields(table, "video", fields)
        flash = from_data_frame(pd.read_csv(table), "video", fields, root=tmp_path)
        assert ours == flash
        assert ours.target_format == flash.target_format
    columns, where = read_table(table)
    assert list(columns) == ["video", "label", "hot_a", "hot_b", "score"]
    assert where[1] == f" (line 4 of {table})"  # the blank line is skipped, lines still counted


def test_tsv_and_header_only(tmp_path: Path, tree: Path) -> None:
    table = tmp_path / "t.tsv"
    table.write_text("video\ttags\nvideos/cat/c1.mp4\tcat dog\n")
    got = from_csv_fields(table, "video", "tags")
    assert got.classes == ("cat", "dog") and got[0].target == (1.0, 1.0)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="is empty: its first line must name the columns"):
        from_csv_fields(tmp_path / "empty.csv", "video")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match=r"unsupported extension '.json'; supported: .csv, .txt"):
        from_csv_fields(tmp_path / "x.json", "video")


def test_multi_hot_columns_are_classes(tree: Path) -> None:
    frame = pd.DataFrame(
        {
            "video": ["cat/c1.mp4", "dog/d1.mp4", "eel/e1.webm"],
            "cat": [1, 0, 1],
            "dog": [1, 1, 0],
            "eel": [0, 0, 1],
        }
    )
    got = from_data_frame(frame, "video", ["cat", "dog", "eel"], root=tree)
    assert got.classes == ("cat", "dog", "eel") and got.multi_label
    assert [v.target for v in got] == [(1.0, 1.0, 0.0), (0.0, 1.0, 0.0), (1.0, 0.0, 1.0)]
    assert {v.label for v in got} == {-1}
    one_hot = from_data_frame(frame[1:2], "video", ["cat", "dog", "eel"], root=tree)
    assert not one_hot.multi_label and one_hot[0].label == 1  # one 1 per row: single-label


def test_comma_separated_targets(tree: Path) -> None:
    frame = pd.DataFrame({"video": ["cat/c1.mp4", "dog/d1.mp4"], "tags": ["cat,dog", "dog"]})
    got = from_data_frame(frame, "video", "tags", root=tree)
    assert got.classes == ("cat", "dog")
    assert got.videos == (
        LabeledVideo(str(tree / "cat/c1.mp4"), -1, (1.0, 1.0)),
        LabeledVideo(str(tree / "dog/d1.mp4"), -1, (0.0, 1.0)),
    )


def test_later_stages_use_the_first_stage_format(tree: Path) -> None:
    train = from_data_frame(_frame_of(tree), "video", "target", root=tree)
    val = pd.DataFrame({"video": ["dog/d1.mp4"], "target": ["eel"]})
    got = from_data_frame(val, "video", "target", root=tree, target_format=train.target_format)
    assert got.classes == train.classes and got[0].label == 2  # eel is class 2 of 3, not 0 of 1
    bad = pd.DataFrame({"video": ["dog/d1.mp4"], "target": ["fox"]})
    with pytest.raises(ValueError, match=r"unknown class 'fox' \(row 0 of the val\); the classes"):
        from_data_frame(
            bad, "video", "target", root=tree, target_format=train.target_format, name="val"
        )
    unlabeled = from_data_frame(val, "video", root=tree, target_format=train.target_format)
    assert unlabeled.classes == train.classes and unlabeled[0].label == -1


def test_default_resolver_tries_video_extensions(tree: Path) -> None:
    assert default_resolver(tree, "cat/c1.mp4") == str(tree / "cat/c1.mp4")
    assert default_resolver(tree / "eel", "e1") == str(tree / "eel/e1.webm")
    missing = str(tree / "cat/zz")
    with pytest.raises(FileNotFoundError, match=f"'zz' resolved to {re.escape(missing)}, which"):
        default_resolver(tree / "cat", "zz")


def test_custom_resolver_gets_root_and_id(tree: Path) -> None:
    seen: list[tuple[object, object]] = []

    def resolver(root: object, file_id: object) -> str:
        seen.append((root, file_id))
        return f"{root}/cat/c{file_id}.mp4"

    frame = pd.DataFrame({"id": [2, 1], "y": ["a", "b"]})
    got = from_data_frame(frame, "id", "y", root=tree, resolver=resolver)
    assert seen == [(tree, 2), (tree, 1)]  # pandas' int ids reach the resolver as ints
    assert got.paths == [str(tree / "cat/c2.mp4"), str(tree / "cat/c1.mp4")]


def test_missing_column_names_the_column_and_the_file(tree: Path, tmp_path: Path) -> None:
    table = tmp_path / "train.csv"
    table.write_text("video,label\nvideos/cat/c1.mp4,cat\n")
    with pytest.raises(
        ValueError,
        match=rf"column 'target' is not in CSV file {re.escape(str(table))}; its columns are "
        r"\['video', 'label'\]",
    ):
        from_csv_fields(table, "video", "target")
    with pytest.raises(ValueError, match=r"column 'clip' is not in the data frame"):
        from_data_frame(_frame_of(tree), "clip", "target")


def test_missing_video_names_the_resolved_path(tree: Path, tmp_path: Path) -> None:
    table = tmp_path / "train.csv"
    table.write_text("video,label\nvideos/cat/c1.mp4,cat\nvideos/cat/gone.mp4,cat\n")
    missing = re.escape(str(tmp_path / "videos/cat/gone.mp4"))
    with pytest.raises(FileNotFoundError, match=rf"resolved to {missing}, .*\(line 3 of "):
        from_csv_fields(table, "video", "label")

    def elsewhere(root: object, file_id: object) -> str:
        return f"/nowhere/{file_id}"

    with pytest.raises(FileNotFoundError, match=r"video file /nowhere/videos/cat/c1.mp4 \(line 2"):
        from_csv_fields(table, "video", "label", resolver=elsewhere)


def test_empty_cells_and_rows_are_errors(tree: Path, tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("video,label\nvideos/cat/c1.mp4,\n")
    with pytest.raises(ValueError, match=r"target \(line 2 of .*t.csv\) is empty"):
        from_csv_fields(table, "video", "label")
    table.write_text("video,label\n,cat\n")
    with pytest.raises(ValueError, match=r"'video' cell \(line 2 of .*\) is empty"):
        from_csv_fields(table, "video", "label")
    table.write_text("video,label\n")
    with pytest.raises(ValueError, match="has no rows"):
        from_csv_fields(table, "video", "label")
    table.write_text("video,label\nvideos/cat/c1.mp4,cat,extra\n")
    with pytest.raises(ValueError, match=r"3 cells \(line 2 of .*\), but the header names 2"):
        from_csv_fields(table, "video", "label")


def test_a_list_is_single_or_multi_label() -> None:
    with pytest.raises(ValueError, match="1 of 2 videos have multi-label targets"):
        LabeledVideoList((LabeledVideo("/a.mp4", -1, (1.0,)), LabeledVideo("/b.mp4", 0)), ("x",))
    with pytest.raises(ValueError, match="has 2 values but there are 1 classes"):
        LabeledVideoList((LabeledVideo("/a.mp4", -1, (1.0, 0.0)),), ("x",))
