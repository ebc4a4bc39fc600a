"""Tables of videos: data frames and CSV files with named columns, resolvers, errors."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

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
from fastvid.testing.servers import RangeHTTPServer


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


# -- remote tables and videos roots (real servers on loopback: tests/conftest.py) ----------


class _LoggingServer(RangeHTTPServer):
    """The test HTTP server, logging the path of every request (HEADs included)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.paths: list[str] = []

    async def _handle(self, request: Any) -> Any:
        self.paths.append(request.path)
        return await super()._handle(request)


def test_default_resolver_joins_and_stats_urls(s3_server, http_server) -> None:
    options = s3_server.storage_options
    root = "s3://fastvid-test/data"
    assert default_resolver(root, "a/a_0.mp4", storage_options=options) == f"{root}/a/a_0.mp4"
    assert default_resolver(root, "b/b_0", storage_options=options) == f"{root}/b/b_0.webm"
    assert default_resolver(None, f"{root}/a/a_1", storage_options=options) == f"{root}/a/a_1.mp4"
    web = f"{http_server.url}/data"
    assert default_resolver(web + "/", "b/deeper/b_1") == f"{web}/b/deeper/b_1.webm"
    with pytest.raises(FileNotFoundError, match=rf"'a/zz.mp4' resolved to {root}/a/zz.mp4, which"):
        default_resolver(root, "a/zz.mp4", storage_options=options)


def test_remote_rows_cost_one_stat_and_extensions_only_when_missing(remote_tree: Path) -> None:
    ids = ["a/a_0.mp4", "a/a_1", "b/b_0.webm", "b/deeper/b_1"]
    with _LoggingServer(remote_tree.parent) as server:
        root = f"{server.url}/data"
        got = from_data_frame({"video": ids, "y": [0, 0, 1, 1]}, "video", "y", root=root)
    found = ["a/a_0.mp4", "a/a_1.mp4", "b/b_0.webm", "b/deeper/b_1.webm"]
    assert got.paths == [f"{root}/{name}" for name in found]
    assert got.paths == [
        default_resolver(remote_tree, i).replace(str(remote_tree), root) for i in ids
    ]
    asked = Counter(server.paths)
    assert all(asked[f"/data/{name}"] == 1 for name in found)  # one stat per video
    tried = {path for path in asked if path.startswith("/data/b/deeper/b_1.")}
    assert tried == {
        f"/data/b/deeper/b_1{ext}" for ext in (".mp4", ".avi", ".mkv", ".mov", ".webm")
    }
    assert not any(p.startswith(("/data/a/a_0.mp4.", "/data/b/b_0.webm.")) for p in asked)
    assert "/data/a/a_1.avi" not in asked  # extensions stop at the first that exists


def test_remote_csv_reads_like_the_local_one(s3_server, remote_tree: Path, tmp_path: Path) -> None:
    """A BOM, CRLF line ends, a blank line and quotes, read from S3 as from disk."""
    table = tmp_path / "t.csv"
    table.write_text('\ufeffvideo,label,score\r\na/a_0.mp4,a,1\r\n\r\n"b/b_0",b,2.5\r\n')
    url = s3_server.upload(tmp_path, "fastvid-test", "frame-tables") + "/t.csv"
    options = s3_server.storage_options
    columns, where = read_table(url, options)
    assert columns == read_table(table)[0] == {
        "video": ["a/a_0.mp4", "b/b_0"], "label": ["a", "b"], "score": ["1", "2.5"]
    }  # fmt: skip
    assert where == [f" (line 2 of {url})", f" (line 4 of {url})"]
    data = "s3://fastvid-test/data"
    remote = from_csv_fields(url, "video", "label", root=data, storage_options=options)
    local = from_csv_fields(table, "video", "label", root=remote_tree)
    assert remote.paths == [f"{data}/a/a_0.mp4", f"{data}/b/b_0.webm"]
    assert remote.paths == [p.replace(str(remote_tree), data) for p in local.paths]
    assert [v.label for v in remote] == [v.label for v in local] == [0, 1]
    assert remote.classes == local.classes and remote.target_format == local.target_format
    with pytest.raises(FileNotFoundError, match=rf"CSV file {url[:-5]}gone.csv does not exist"):
        read_table(url[:-5] + "gone.csv", options)


def test_a_custom_resolvers_urls_are_checked_and_redacted(remote_tree: Path) -> None:
    with RangeHTTPServer(remote_tree.parent, auth=("bob", "hunter2")) as server:
        root = server.url.replace("http://", "http://bob:hunter2@") + "/data"

        def resolver(base: object, file_id: object) -> str:
            return f"{base}/{file_id}.mp4"

        frame = {"video": ["a/a_0", "a/a_9"], "y": [0, 0]}
        with pytest.raises(FileNotFoundError) as caught:
            from_data_frame(frame, "video", "y", root=root, resolver=resolver)
        ok = from_data_frame({"video": ["a/a_1"], "y": [0]}, "video", "y", root=root,
                             resolver=resolver)  # fmt: skip
    assert ok.paths == [f"{root}/a/a_1.mp4"]
    shown = f"{server.url.replace('http://', 'http://***@')}/data/a/a_9.mp4"
    message = str(caught.value)
    assert message == (
        f"video file {shown} (row 1 of the data frame) (resolved from video 'a/a_9') does not exist"
    )
