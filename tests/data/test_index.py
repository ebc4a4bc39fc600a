"""The metadata index: probe fields against PyAV decoding and PyTorchVideo, the cache, errors."""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastvid.data import index as index_module
from fastvid.data.index import (
    VideoIndex,
    VideoMeta,
    VideoProbeError,
    default_cache_dir,
    probe_video,
)
from fastvid.testing import make_video

SMALL = {"size": (64, 48), "duration": 1.0}

VIDEOS: dict[str, dict[str, object]] = {
    "h264.mp4": {"codec": "h264", "gop": 8},
    "h264_audio.mp4": {"codec": "h264", "audio": True},
    "vp9.webm": {"codec": "vp9", "gop": 12},
    "vfr.mp4": {"codec": "h264", "vfr": True},
    "vfr.webm": {"codec": "vp9", "vfr": True},
    "mjpeg.avi": {"codec": "mjpeg", "fps": 25},
    "rot90.mp4": {"codec": "h264", "rotation": 90},
    "rot180.mp4": {"codec": "h264", "rotation": 180},
    "rot270.mp4": {"codec": "h264", "rotation": -90},
}


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("videos")
    return {
        name: str(make_video(root / name, **{**SMALL, **options}))  # type: ignore[arg-type]
        for name, options in VIDEOS.items()
    }


def _decoded(path: str) -> tuple[list[int], list[int], int]:
    """PyAV ground truth: sorted frame pts, keyframe positions, first frame's rotation."""
    with av.open(path) as container:
        frames = [(f.pts, f.key_frame, f.rotation) for f in container.decode(video=0)]
    frames.sort(key=lambda frame: frame[0])
    keys = [i for i, (_, key, _) in enumerate(frames) if key]
    return [pts for pts, _, _ in frames], keys, frames[0][2]


# ------------------------------------------------------------------------------------ probing


@pytest.mark.parametrize("name", sorted(VIDEOS))
def test_probe_matches_pyav_decoding(videos: dict[str, str], name: str) -> None:
    path = videos[name]
    meta = probe_video(path)
    pts, keyframes, rotation = _decoded(path)
    with av.open(path) as container:
        stream = container.streams.video[0]
        expected_codec = stream.codec_context.name
        expected_fps = float(stream.average_rate or stream.guessed_rate)
        expected_tb = stream.time_base
        has_audio = bool(container.streams.audio)

    assert meta.path == path
    assert meta.num_frames == len(pts) == len(meta.pts)
    assert meta.pts.dtype == np.int64 and meta.pts.tolist() == pts
    assert meta.keyframes.dtype == np.int32 and meta.keyframes.tolist() == keyframes
    assert (meta.codec, meta.width, meta.height) == (expected_codec, 64, 48)
    assert meta.avg_fps == expected_fps
    assert meta.time_base == expected_tb
    assert meta.rotation == rotation % 360
    assert meta.has_audio is has_audio
    assert meta.size == os.path.getsize(path)
    assert meta.mtime_ns == os.stat(path).st_mtime_ns
    assert not meta.pts.flags.writeable


def test_probe_reads_codec_rotation_and_audio(videos: dict[str, str]) -> None:
    # The ground truth above is only as good as the generated files: pin what they hold.
    assert probe_video(videos["vp9.webm"]).codec == "vp9"
    assert probe_video(videos["mjpeg.avi"]).avg_fps == 25.0
    rotations = [probe_video(videos[f"rot{r}.mp4"]).rotation for r in (90, 180, 270)]
    assert rotations == [90, 180, 270]
    assert probe_video(videos["h264_audio.mp4"]).has_audio
    assert len(probe_video(videos["h264.mp4"]).keyframes) >= 3  # gop 8, 30 frames


@pytest.mark.parametrize("name", ["h264.mp4", "vp9.webm", "vfr.mp4", "vfr.webm", "mjpeg.avi"])
def test_duration_is_pytorchvideos(videos: dict[str, str], name: str) -> None:
    from pytorchvideo.data.encoded_video import EncodedVideo

    expected = EncodedVideo.from_path(videos[name], decode_audio=False, decoder="pyav").duration
    got = probe_video(videos[name]).duration
    assert isinstance(got, Fraction)
    assert got == expected


def test_webm_duration_comes_from_the_last_frame(videos: dict[str, str]) -> None:
    # WebM streams state no duration; PyTorchVideo then decodes to the last frame.
    with av.open(videos["vp9.webm"]) as container:
        assert container.streams.video[0].duration is None
    meta = probe_video(videos["vp9.webm"])
    assert meta.duration == (int(meta.pts[-1]) - meta.start_pts) * meta.time_base


@pytest.mark.parametrize("name", ["vfr.mp4", "vfr.webm"])
def test_vfr_pts_are_irregular_and_exact(videos: dict[str, str], name: str) -> None:
    meta = probe_video(videos[name])
    steps = np.unique(np.diff(meta.pts))
    assert len(steps) >= 2  # both one- and two-frame gaps
    assert meta.pts.tolist() == _decoded(videos[name])[0]
    seconds = meta.pts_to_seconds(meta.pts)
    assert isinstance(seconds, np.ndarray) and seconds[0] == 0.0
    assert meta.pts_to_seconds(int(meta.pts[1])) == int(meta.pts[1]) * meta.time_base


def _audio_only(path: Path) -> str:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    return str(path)


def _bad_files(root: Path) -> dict[str, tuple[str, str]]:
    """{kind: (path, expected reason regex)}."""
    (root / "empty.mp4").write_bytes(b"")
    (root / "random.mp4").write_bytes(np.random.default_rng(0).bytes(4096))
    (root / "folder.mp4").mkdir()
    return {
        "empty": (str(root / "empty.mp4"), r"the file is empty \(0 bytes\)"),
        "random": (str(root / "random.mp4"), "FFmpeg cannot open it as a video container"),
        "audio": (
            _audio_only(root / "tone.wav"),
            r"it has no video stream \(streams: \['audio'\]\)",
        ),
        "missing": (str(root / "missing.mp4"), "the file does not exist"),
        "folder": (str(root / "folder.mp4"), "it is not a regular file"),
    }


@pytest.mark.parametrize("kind", ["empty", "random", "audio", "missing", "folder"])
def test_unreadable_files_raise_probe_errors(tmp_path: Path, kind: str) -> None:
    path, reason = _bad_files(tmp_path)[kind]
    with pytest.raises(VideoProbeError, match=rf"cannot read video {re.escape(path)}: {reason}"):
        probe_video(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_permission_denied(videos: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "locked.mp4"
    shutil.copy(videos["h264.mp4"], path)
    path.chmod(0)
    with pytest.raises(VideoProbeError, match="permission denied"):
        probe_video(path)


def test_permission_denied_as_ffmpeg_reports_it(
    videos: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(index_module.av, "open", denied)
    with pytest.raises(VideoProbeError, match=r"h264\.mp4: permission denied; check the file's"):
        probe_video(videos["h264.mp4"])


def test_truncated_file(videos: dict[str, str], tmp_path: Path) -> None:
    data = Path(videos["vp9.webm"]).read_bytes()
    path = tmp_path / "cut.webm"
    path.write_bytes(data[: len(data) // 2])
    meta = probe_video(path)  # FFmpeg reads what is there, like a decoder would
    assert 0 < meta.num_frames < probe_video(videos["vp9.webm"]).num_frames


def test_probe_error_pickles() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(VideoProbeError("/x.mp4", "broken")))
    assert (err.path, err.reason, str(err)) == (
        "/x.mp4",
        "broken",
        "cannot read video /x.mp4: broken",
    )


# ------------------------------------------------------------------------------------ index


def test_build_collects_errors_and_keeps_order(
    videos: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = _bad_files(tmp_path)
    good = [videos["vp9.webm"], videos["h264.mp4"]]
    paths = [good[0], bad["random"][0], good[1], bad["empty"][0], good[0]]
    with caplog.at_level(logging.WARNING, logger="fastvid.data.index"):
        index = VideoIndex.build(paths, cache=False, num_workers=0, progress=False)

    assert [meta.path for meta in index] == good == index.paths
    assert len(index) == 2 and good[1] in index and Path(good[1]) in index
    assert bad["random"][0] not in index and 3 not in index
    assert set(index.errors) == {bad["random"][0], bad["empty"][0]}
    assert "FFmpeg cannot open" in index.errors[bad["random"][0]]
    assert [r.getMessage()[:29] for r in caplog.records] == ["could not read 2 of 4 videos "]
    assert index.meta(good[1]) == probe_video(good[1])
    with pytest.raises(VideoProbeError, match="the file is empty"):
        index.meta(bad["empty"][0])
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
    for i in range(index_module._INLINE_BELOW + 2):  # enough files to use the pool
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


# ------------------------------------------------------------------------------------ cache


@pytest.fixture
def dataset(videos: dict[str, str], tmp_path: Path) -> list[Path]:
    root = tmp_path / "data"
    root.mkdir()
    paths = []
    for name in ("h264.mp4", "vp9.webm", "vfr.mp4"):
        paths.append(root / name)
        shutil.copy(videos[name], paths[-1])
    return paths


def _count_probes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real: Callable[..., VideoMeta] = index_module.probe_video

    def counting(path: str) -> VideoMeta:
        calls.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(index_module, "probe_video", counting)
    return calls


def _build(paths: list[Path], cache_dir: Path) -> VideoIndex:
    return VideoIndex.build(paths, cache_dir=cache_dir, num_workers=0, progress=False)


def test_second_build_is_served_from_the_cache(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = _build(dataset, cache)
    assert [p.name for p in cache.iterdir()] == [f"{index_module._dataset_key(first.paths)}.npz"]

    def broken(path: str) -> VideoMeta:
        raise AssertionError(f"probed {path} despite the cache")

    monkeypatch.setattr(index_module, "probe_video", broken)
    second = _build(dataset, cache)
    assert not second.errors
    assert list(second) == list(first) == [probe_video(p) for p in dataset]


def test_cache_is_incremental(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _build(dataset, cache)
    calls = _count_probes(monkeypatch)

    stat = dataset[0].stat()
    os.utime(dataset[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    added = dataset[0].parent / "new.webm"
    shutil.copy(dataset[1], added)
    index = _build([*dataset, added], cache)
    assert sorted(calls) == ["h264.mp4", "new.webm"]
    assert index.meta(dataset[0]).mtime_ns == stat.st_mtime_ns + 1_000_000

    calls.clear()
    added.unlink()
    index = _build(dataset, cache)
    assert calls == [] and len(index) == 3
    (stored,) = cache.iterdir()
    assert sorted(os.path.basename(p) for p in index_module._Table.load(stored).paths) == sorted(
        p.name for p in dataset
    )


def test_building_a_subset_of_the_cache_neither_probes_nor_rewrites(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _build(dataset, cache)
    (stored,) = cache.iterdir()
    written = stored.stat().st_mtime_ns
    calls = _count_probes(monkeypatch)
    subset = [dataset[2], dataset[0]]  # same folder, other order
    index = _build(subset, cache)
    assert calls == [] and stored.stat().st_mtime_ns == written
    assert list(index) == [probe_video(p) for p in subset]


def test_cache_keeps_other_unchanged_entries_of_the_same_folder(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _build(dataset, cache)
    sub = dataset[0].parent / "sub"
    sub.mkdir()
    shutil.copy(dataset[0], sub / "x.mp4")
    _build([dataset[0], dataset[1], sub / "x.mp4"], cache)  # same root folder, fewer files
    calls = _count_probes(monkeypatch)
    _build(dataset, cache)
    assert calls == []


def _damage_offsets(file: Path) -> None:
    table = index_module._Table.load(file)
    table.ints[1, index_module._C["kf_offset"]] = 10**9
    table.save(file)


def _old_version(file: Path) -> None:
    with np.load(file) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["version"] = np.array(0)
    with open(file, "wb") as handle:
        np.savez(handle, **arrays)


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "garbage": lambda file: file.write_bytes(b"not an npz file"),
    "truncated": lambda file: file.write_bytes(file.read_bytes()[:200]),
    "bad offsets": _damage_offsets,
    "old version": _old_version,
}


@pytest.mark.parametrize("damage", sorted(CORRUPTIONS))
def test_corrupt_cache_is_ignored_with_a_warning(
    dataset: list[Path], tmp_path: Path, damage: str
) -> None:
    cache = tmp_path / "cache"
    first = _build(dataset, cache)
    (stored,) = cache.iterdir()
    CORRUPTIONS[damage](stored)
    with pytest.warns(RuntimeWarning, match=f"ignoring the unreadable video index cache {stored}"):
        again = _build(dataset, cache)
    assert list(again) == list(first)
    assert [p.name for p in cache.iterdir()] == [stored.name]  # rewritten, no temp files left
    assert list(index_module._Table.load(stored).metas()) == list(first)


def test_unwritable_cache_dir_warns_and_still_builds(dataset: list[Path], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.warns(RuntimeWarning, match="could not write the video index cache"):
        index = _build(dataset, blocker / "cache")
    assert len(index) == 3


def test_default_cache_dir_respects_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("FASTVID_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "fastvid" / "index"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "fastvid" / "index"
    monkeypatch.setenv("FASTVID_CACHE_DIR", str(tmp_path / "fv"))
    assert default_cache_dir() == tmp_path / "fv" / "index"


def test_build_uses_the_default_cache_dir(
    dataset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTVID_CACHE_DIR", str(tmp_path / "fv"))
    VideoIndex.build(dataset, num_workers=0, progress=False)
    assert len(list((tmp_path / "fv" / "index").glob("*.npz"))) == 1


# ------------------------------------------------------------------------------------ storage


def _synthetic(path: str, pts: np.ndarray, keyframes: list[int], **fields: object) -> VideoMeta:
    values: dict[str, object] = {
        "path": path,
        "size": 1000,
        "mtime_ns": 1_700_000_000_123_456_789,
        "codec": "h264",
        "width": 320,
        "height": 240,
        "rotation": 0,
        "time_base": Fraction(1, 15360),
        "start_pts": int(pts[0]) if len(pts) else 0,
        "pts": pts.astype(np.int64),
        "keyframes": np.asarray(keyframes, np.int32),
        "avg_fps": 29.97,
        "num_frames": len(pts),
        "duration": Fraction(10),
        "has_audio": False,
    }
    values.update(fields)
    return VideoMeta(**values)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(-(2**40), 2**40),
    steps=st.lists(st.integers(0, 2**33), min_size=0, max_size=40),
)
def test_compact_storage_round_trips_any_sorted_pts(first: int, steps: list[int]) -> None:
    pts = first + np.concatenate([[0], np.cumsum(steps, dtype=np.int64)])
    meta = _synthetic("/v.mp4", pts, [0], duration=None, rotation=270, codec="vp9")
    assert VideoIndex.from_metas([meta]).meta("/v.mp4") == meta


def _mixed_metas(count: int, seed: int) -> list[VideoMeta]:
    rng = np.random.default_rng(seed)
    metas = []
    for i in range(count):
        frames = int(rng.integers(1, 30))
        scale = [1, 30, 600, 2**20, 2**40][i % 5]  # constant, uint8 ... uint64 deltas
        steps = rng.integers(0, scale + 1, frames - 1) if i % 5 else np.full(frames - 1, 7)
        pts = np.concatenate([[int(rng.integers(-99, 99))], steps]).cumsum()
        keys = sorted(set(rng.integers(0, frames, int(rng.integers(0, 4))).tolist()))
        codec = ["h264", "vp9", "mjpeg"][int(rng.integers(0, 3))]
        metas.append(_synthetic(f"/d/{seed}/{i}.mp4", pts, keys, codec=codec))
    return metas


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), data=st.data())
def test_select_and_concat_keep_every_field(seed: int, data: st.DataObject) -> None:
    first, second = _mixed_metas(12, seed), _mixed_metas(7, seed + 1)
    table = index_module._Table.from_metas(first)
    rows = data.draw(st.lists(st.integers(0, len(first) - 1), max_size=12, unique=True))
    selected = table.select(rows)
    assert list(selected.metas()) == [first[row] for row in rows]
    joined = index_module._Table.concat(selected, index_module._Table.from_metas(second))
    assert list(joined.metas()) == [first[row] for row in rows] + second


def test_compact_storage_memory_per_video(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    metas = []
    for i in range(2000):
        jitter = rng.integers(-3, 4, 300) if i % 2 else np.zeros(300, np.int64)
        pts = np.sort(np.arange(300) * 512 + jitter)  # 10 s at 30 fps, half of them VFR
        metas.append(_synthetic(f"/data/class_{i % 400:03d}/video_{i:06d}.mp4", pts, [0, 250]))
    index = VideoIndex.from_metas(metas)
    assert list(index) == metas
    per_video = index.nbytes() / len(index)
    assert per_video < 1000, f"{per_video:.0f} B per video; 100k videos must fit in 200 MB"

    cache_file = tmp_path / "t.npz"
    index._table.save(cache_file)
    assert list(VideoIndex(index_module._Table.load(cache_file))) == metas
