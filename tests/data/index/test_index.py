"""``VideoIndex.build``: order, errors, relative paths, arguments, the process pool."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from fastvid.data.index import VideoIndex, VideoProbeError, _pool, probe_video
from tests.data.index import VIDEOS, bad_files


def test_build_collects_errors_and_keeps_order(
    videos: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = bad_files(tmp_path)
    good = [videos["vp9.webm"], videos["h264.mp4"]]
    paths = [good[0], bad["random"][0], good[1], bad["empty"][0], good[0]]
    with caplog.at_level(logging.WARNING, logger="fastvid.data.index"):
        index = VideoIndex.build(paths, cache=False, num_workers=0, progress=False)

    assert [meta.path for meta in index] == good == index.paths
    assert len(index) == 2 and good[1] in index and Path(good[1]) in index
    assert bad["random"][0] not in index and 3 not in index
    assert set(index.errors) == {bad["random"][0], bad["empty"][0]}
    assert "FFmpeg cannot open" in index.errors[bad["random"][0]]
    assert {path: error.kind for path, error in index.failures.items()} == {
        bad["random"][0]: "not_a_video",
        bad["empty"][0]: "empty",
    }
    assert [r.getMessage()[:29] for r in caplog.records] == ["could not read 2 of 4 videos "]
    assert index.meta(good[1]) == probe_video(good[1])
    with pytest.raises(VideoProbeError, match="the file is empty") as caught:
        index.meta(bad["empty"][0])
    assert caught.value.kind == "empty"
    with pytest.raises(KeyError, match="is not in this index of 2 videos"):
        index.meta(tmp_path / "other.mp4")


def test_build_relative_paths(videos: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder, name = os.path.split(videos["h264.mp4"])
    monkeypatch.chdir(folder)
    index = VideoIndex.build([name], cache=False, progress=False)
    assert index.paths == [videos["h264.mp4"]] and name in index
    assert index.meta(name).path == videos["h264.mp4"]


def test_build_validates_arguments(videos: dict[str, str]) -> None:
    with pytest.raises(TypeError, match="got a single path"):
        VideoIndex.build(videos["h264.mp4"], cache=False)
    with pytest.raises(ValueError, match=r"num_workers \(-1\) must be >= 0"):
        VideoIndex.build([videos["h264.mp4"]], num_workers=-1, cache=False)
    with pytest.raises(TypeError, match=r"every path must be a str or os\.PathLike, got 3"):
        VideoIndex.build([3], cache=False)  # type: ignore[list-item]


def test_parallel_build_equals_inline_build(videos: dict[str, str], tmp_path: Path) -> None:
    paths = []
    for i in range(_pool.INLINE_BELOW + 2):  # enough files to use the pool
        name = sorted(VIDEOS)[i % len(VIDEOS)]
        paths.append(tmp_path / f"{i:02d}_{name}")
        shutil.copy(videos[name], paths[-1])
    (tmp_path / "bad.mp4").write_bytes(b"nope")
    paths.append(tmp_path / "bad.mp4")

    pooled = VideoIndex.build(paths, cache=False, num_workers=2, progress=False)
    inline = VideoIndex.build(paths, cache=False, num_workers=0, progress=False)
    assert len(pooled) == len(paths) - 1
    assert list(pooled) == list(inline)
    assert (
        dict(pooled.errors)
        == dict(inline.errors)
        == {str(paths[-1]): inline.errors[str(paths[-1])]}
    )
    # the errors come back from the pool processes pickled, with their kinds
    assert (
        pooled.failures[str(paths[-1])].kind
        == inline.failures[str(paths[-1])].kind
        == ("not_a_video")
    )
