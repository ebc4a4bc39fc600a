"""Index files: mapped read-only, versioned, incremental, resumable after a crash."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from fastvid.data.index import VideoIndex, VideoMeta, _probe, _shared, _store
from fastvid.data.index._store import MAGIC, read_index_file


class _Killed(BaseException):
    """The build's process is killed part-way (not an error a probe would catch)."""


def _count_probes(monkeypatch: pytest.MonkeyPatch, *, fail_after: int | None = None) -> list[str]:
    calls: list[str] = []
    real: Callable[..., VideoMeta] = _probe.probe_video

    def counting(path: str, **options: bool) -> VideoMeta:
        if fail_after is not None and len(calls) >= fail_after:
            raise _Killed
        calls.append(os.path.basename(path))
        return real(path, **options)

    monkeypatch.setattr(_probe, "probe_video", counting)
    return calls


def _build(paths: list[Path], file: Path, **options: object) -> VideoIndex:
    return VideoIndex.build_file(paths, file, num_workers=0, progress=False, **options)  # type: ignore[arg-type]


def test_an_index_file_maps_the_same_metas_read_only(dataset: list[Path], tmp_path: Path) -> None:
    (dataset[0].parent / "broken.mp4").write_bytes(b"not a video")
    paths = [*dataset, dataset[0].parent / "broken.mp4"]
    index = _build(paths, tmp_path / "data.index")
    assert list(index) == list(VideoIndex.build(paths, cache=False, num_workers=0, progress=False))
    assert index.file == tmp_path / "data.index" and index.complete
    assert list(index.errors) == [str(paths[-1])]
    assert isinstance(index.table.ints.base, np.memmap | np.ndarray)
    assert not index.table.ints.flags.writeable  # a view of the mapped file
    again = VideoIndex.load(tmp_path / "data.index")
    assert list(again) == list(index) and again.errors == index.errors
    assert again.rows_of([str(p) for p in dataset]).tolist() == [0, 1, 2]
    assert again.rows_of([str(tmp_path / "other.mp4")]).tolist() == [-1]


def test_a_rerun_probes_only_new_and_changed_files(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "data.index"
    _build(dataset[:2], file)
    calls = _count_probes(monkeypatch)
    stat = dataset[0].stat()
    os.utime(dataset[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    index = _build(dataset, file)
    assert sorted(calls) == sorted([dataset[0].name, dataset[2].name])
    assert [m.path for m in index] == [str(p) for p in dataset]
    calls.clear()
    _build(dataset, file)
    assert calls == []


def test_an_interrupted_build_leaves_a_partial_index_the_next_build_completes(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "data.index"
    expected = [_probe.probe_video(str(p)) for p in dataset[:2]]
    monkeypatch.setattr(_shared, "_CHUNK", 1)  # a checkpoint after every file
    _count_probes(monkeypatch, fail_after=2)
    with pytest.raises(_Killed):
        _build(dataset, file, checkpoint_seconds=1e-9)
    partial = VideoIndex.load(file)
    assert not partial.complete
    assert list(partial) == expected
    monkeypatch.undo()
    calls = _count_probes(monkeypatch)
    index = _build(dataset, file)
    assert calls == [dataset[2].name] and index.complete and len(index) == 3


def test_keep_others_adds_videos_without_dropping_the_rest(
    dataset: list[Path], tmp_path: Path
) -> None:
    file = tmp_path / "data.index"
    _build(dataset[:2], file)
    index = _build(dataset[2:], file, keep_others=True)
    assert sorted(index.paths) == sorted(str(p) for p in dataset)


def test_files_of_another_format_or_probe_version_are_refused(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "data.index"
    index = _build(dataset, file)
    for name, value, message in [
        ("FORMAT", 99, "index file format 99; this fastvid reads format 1"),
        ("CACHE_VERSION", -1, "probes other fields"),
        ("COLUMNS", ("size",), "probes other fields"),
    ]:
        with monkeypatch.context() as patch:  # a file written by another fastvid
            patch.setattr(_store, name, value)
            _store.write_index_file(index.table, tmp_path / "other.index")
        with pytest.raises(ValueError, match=message):
            VideoIndex.load(tmp_path / "other.index")
    data = file.read_bytes()
    (tmp_path / "short.index").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"truncated|damaged"):
        read_index_file(tmp_path / "short.index")
    (tmp_path / "junk.index").write_bytes(b"junk" * 10)
    with pytest.raises(ValueError, match="not a fastvid index file"):
        VideoIndex.load(tmp_path / "junk.index")
    assert data.startswith(MAGIC) and _store.is_index_file(file)


def test_a_damaged_index_file_is_rebuilt_with_a_warning(
    dataset: list[Path], tmp_path: Path
) -> None:
    file = tmp_path / "data.index"
    file.write_bytes(MAGIC + b"\xff" * 40)
    with pytest.warns(RuntimeWarning, match="rebuilding the index file"):
        index = _build(dataset, file)
    assert len(index) == 3 and index.complete


def test_the_loader_maps_an_index_file_found_beside_the_data(
    dataset: list[Path], tmp_path: Path
) -> None:
    from fastvid.data.samplers import make_clip_sampler
    from fastvid.reader.loader.clip_loader import ClipLoader

    root = dataset[0].parent
    nested = root / "train"
    nested.mkdir()
    for path in dataset:
        shutil.move(path, nested / path.name)
    moved = sorted(nested.iterdir())
    _build(moved[:2], root / "fastvid.index")  # `fastvid index` ran before the third video
    loader = ClipLoader(
        [(str(p), 0) for p in moved],
        clip_sampler=make_clip_sampler("uniform", 0.5),
        device="cpu",
        progress=False,
    )
    loader.setup()
    index = loader._planner.videos.meta_index  # type: ignore[union-attr]
    assert index.file == root / "fastvid.index"
    assert sorted(VideoIndex.load(root / "fastvid.index").paths) == [str(p) for p in moved]
    assert {c.video_index for c in loader.plan(0)} == {0, 1, 2}
