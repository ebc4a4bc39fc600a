"""Tests for fastvid.reader.decoding.pyav_source: frame-selective PyAV decoding.

The oracle is PyAV itself: decode the whole file sequentially, sort the frames by pts and convert
each with ``to_ndarray(format="rgb24")``. Every frame-selective result must equal that pixel for
pixel, and the index stamped into each frame must read back as the requested index.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastvid.reader.decoding.pyav_source as pyav_source
from fastvid.reader.decoding._pyav_stream import OpenVideo
from fastvid.reader.decoding.pyav_source import FrameDecodeError, PyAVFrameReader, decode_frames
from fastvid.testing import make_video, read_frame_index, stamp_frame_index

try:
    from fastvid.data.index import probe_video
except ImportError:  # pragma: no cover - the index module is optional for these tests
    probe_video = None


# --------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Video:
    path: str
    pts: np.ndarray
    keyframes: np.ndarray
    time_base: Fraction
    frames: np.ndarray  # the oracle: every frame, sequential decode, sorted by pts, RGB

    @property
    def num_frames(self) -> int:
        return len(self.pts)


def _demux(path: str) -> tuple[np.ndarray, np.ndarray, Fraction]:
    """Every packet's pts sorted, keyframe positions, time base (what probe_video returns)."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        packets = [(p.pts, p.is_keyframe) for p in container.demux(stream) if p.pts is not None]
        time_base = Fraction(stream.time_base)
    packets.sort()
    pts = np.array([p for p, _ in packets], dtype=np.int64)
    keyframes = np.array([i for i, (_, key) in enumerate(packets) if key], dtype=np.int64)
    return pts, keyframes, time_base


def _sequential_decode(path: str) -> tuple[np.ndarray, list[int]]:
    with av.open(path) as container:
        decoded = [(f.pts, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    decoded.sort(key=lambda item: item[0])
    return np.stack([rgb for _, rgb in decoded]), [pts for pts, _ in decoded]


def _load(path: str | Path) -> Video:
    path = str(path)
    pts, keyframes, time_base = _demux(path)
    frames, decoded_pts = _sequential_decode(path)
    assert decoded_pts == pts.tolist(), "demuxed and decoded timestamps disagree"
    return Video(path, pts, keyframes, time_base, frames)


def _make_mpeg4_with_b_frames(path: Path, num_frames: int = 45) -> Path:
    """MPEG-4 part 2 with B-frames (``make_video``'s MPEG-4 has none)."""
    rng = np.random.default_rng(3)
    width, height = 160, 120
    background = rng.integers(30, 220, (height // 8, width // 8, 3), dtype=np.uint8)
    background = np.kron(background, np.ones((8, 8, 1), dtype=np.uint8))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.max_b_frames = 2
        stream.codec_context.gop_size = 12
        stream.options = {"qscale": "3"}
        for i in range(num_frames):
            pixels = np.roll(background, 2 * i, axis=1).copy()
            stamp_frame_index(pixels, i)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


# name -> how to make it; small and short so the whole module stays fast.
_VIDEOS: dict[str, Callable[[Path], Path]] = {
    "h264_one_keyframe": lambda d: make_video(d / "h1.mp4", codec="h264"),
    "h264_gop10": lambda d: make_video(d / "h10.mp4", codec="h264", gop=10),
    "h264_vfr_gop10": lambda d: make_video(d / "hv.mkv", codec="h264", gop=10, vfr=True),
    "hevc_gop10": lambda d: make_video(d / "e10.mp4", codec="hevc", gop=10),
    "hevc_vfr": lambda d: make_video(d / "ev.mp4", codec="hevc", vfr=True),
    "mpeg4_gop10": lambda d: make_video(d / "m10.mp4", codec="mpeg4", gop=10),
    "mpeg4_b_frames": lambda d: _make_mpeg4_with_b_frames(d / "mb.mp4"),
    # UCF101's format: Xvid's packed B-frames in AVI (a B-frame rides in the chunk before it)
    "xvid_packed_avi": lambda d: make_video(d / "x.avi", codec="xvid", gop=30),
    "vp9_gop10": lambda d: make_video(d / "v10.webm", codec="vp9", gop=10),
    "vp9_vfr_one_keyframe": lambda d: make_video(d / "vv.webm", codec="vp9", vfr=True),
    "mjpeg": lambda d: make_video(d / "j.avi", codec="mjpeg", duration=1.0),
    "h264_with_audio": lambda d: make_video(d / "ha.mp4", codec="h264", gop=10, audio=True),
}


@pytest.fixture(scope="module")
def video_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pyav_source")


_cache: dict[str, Video] = {}


@pytest.fixture(params=sorted(_VIDEOS))
def video(request: pytest.FixtureRequest, video_dir: Path) -> Video:
    return _get_video(request.param, video_dir)


def _get_video(name: str, video_dir: Path) -> Video:
    if name not in _cache:
        _cache[name] = _load(_VIDEOS[name](video_dir))
    return _cache[name]


@pytest.fixture(scope="module")
def h264(video_dir: Path) -> Video:
    return _get_video("h264_one_keyframe", video_dir)


@pytest.fixture(scope="module")
def h264_gop(video_dir: Path) -> Video:
    return _get_video("h264_gop10", video_dir)


@pytest.fixture(scope="module")
def shared_reader() -> Iterator[PyAVFrameReader]:
    with PyAVFrameReader() as reader:
        yield reader


@dataclass
class Spy:
    seeks: int = 0
    safe_passes: int = 0
    frames_out: int = 0


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    """Counts seeks, decoded frames and fallback passes (which the fast path must never need)."""
    counts = Spy()
    open_video = OpenVideo
    seek, decode, index_of = open_video._seek, open_video.decode, open_video._index_of

    def counting_seek(self: OpenVideo, *args: object) -> object:
        counts.seeks += 1
        return seek(self, *args)  # type: ignore[arg-type]

    def counting_decode(self: OpenVideo, *args: object, safe: bool = False) -> object:
        counts.safe_passes += safe
        return decode(self, *args, safe=safe)  # type: ignore[arg-type]

    def counting_index_of(self: OpenVideo, frame: av.VideoFrame) -> object:
        counts.frames_out += 1
        return index_of(self, frame)

    monkeypatch.setattr(open_video, "_seek", counting_seek)
    monkeypatch.setattr(open_video, "decode", counting_decode)
    monkeypatch.setattr(open_video, "_index_of", counting_index_of)
    yield counts


def _decode(video: Video, indices: object, reader: PyAVFrameReader | None = None, **kw: object):
    fn = decode_frames if reader is None else reader.decode_frames
    kw.setdefault("time_base", video.time_base)
    return fn(
        video.path,
        indices,  # type: ignore[arg-type]
        pts=video.pts,
        keyframes=video.keyframes,
        **kw,  # type: ignore[arg-type]
    )


def _index_sets(video: Video) -> dict[str, np.ndarray]:
    n = video.num_frames
    rng = np.random.default_rng(n)
    keys = video.keyframes
    across = [max(0, int(keys[-1]) - 1), int(keys[-1]), min(n - 1, int(keys[-1]) + 1)]
    return {
        "first": np.array([0]),
        "last": np.array([n - 1]),
        "uniform_8": np.linspace(0, n - 1, 8).astype(np.int64),
        "clip_middle": np.linspace(n // 3, n // 3 + 14, 8).astype(np.int64),
        "sorted_random": np.sort(rng.choice(n, 6, replace=False)),
        "unsorted_random": rng.choice(n, 7, replace=False),
        "repeated": np.array([0, 0, 1, 1, 1, n - 1, n - 1]),
        "repeated_unsorted": np.array([5, 2, 5, 2, 0, 5]),
        "near_end": np.arange(n - 4, n)[::-1],
        "across_last_keyframe": np.array(across),
        "all": np.arange(n),
    }


# --------------------------------------------------------------------------- exactness


def test_oracle_to_rgb_equals_rgb24(h264: Video) -> None:
    # PyTorchVideo converts with frame.to_rgb().to_ndarray(); the oracle uses rgb24 directly.
    with av.open(h264.path) as container:
        for i, frame in enumerate(container.decode(video=0)):
            np.testing.assert_array_equal(
                frame.to_rgb().to_ndarray(), frame.to_ndarray(format="rgb24")
            )
            if i == 5:
                break


def test_frames_equal_sequential_decode(video: Video, spy: Spy) -> None:
    # With packed B-frames in AVI the decoder's invented timestamps are not the display order
    # (issue 22), so there the stamps are checked against the oracle's, not the indices.
    stamps = [read_frame_index(f) for f in video.frames]
    with PyAVFrameReader() as reader:
        for name, indices in _index_sets(video).items():
            for result in (_decode(video, indices), _decode(video, indices, reader)):
                assert result.shape == (len(indices), *video.frames.shape[1:]), name
                assert result.dtype == np.uint8
                np.testing.assert_array_equal(result, video.frames[indices], err_msg=name)
                expected = [stamps[i] for i in indices.tolist()]
                assert [read_frame_index(f) for f in result] == expected, name
    assert spy.safe_passes == 0, "the fast path missed a frame and needed the fallback"


@settings(max_examples=40, deadline=None)
@given(indices=st.lists(st.integers(0, 59), min_size=1, max_size=10))
def test_any_request_sequence_is_exact(
    h264_gop: Video, shared_reader: PyAVFrameReader, indices: list[int]
) -> None:
    # One reader across many requests exercises continuing, seeking back and skipping frames.
    assert h264_gop.num_frames == 60
    result = _decode(h264_gop, indices, shared_reader)
    np.testing.assert_array_equal(result, h264_gop.frames[indices])


@pytest.fixture(scope="module")
def xvid(video_dir: Path) -> Video:
    return _get_video("xvid_packed_avi", video_dir)


@settings(max_examples=30, deadline=None)
@given(indices=st.lists(st.integers(0, 59), min_size=1, max_size=10))
def test_any_request_sequence_is_exact_on_packed_xvid(
    xvid: Video, shared_reader: PyAVFrameReader, indices: list[int]
) -> None:
    # skipping a chunk whose packed B-frame is wanted would lose it (the fallback then decodes
    # from the start: still exact, so the spy-free check here is on pixels only)
    assert xvid.num_frames == 60
    np.testing.assert_array_equal(_decode(xvid, indices, shared_reader), xvid.frames[indices])


@pytest.mark.parametrize("threads", [1, 2])
def test_thread_count_does_not_change_pixels(h264: Video, threads: int) -> None:
    indices = [50, 3, 30, 31]
    with PyAVFrameReader() as reader:
        for _ in range(2):
            result = _decode(h264, indices, reader, threads=threads)
            np.testing.assert_array_equal(result, h264.frames[indices])


@pytest.mark.parametrize("name", ["h264_one_keyframe", "mpeg4_b_frames", "xvid_packed_avi"])
def test_unrequested_non_reference_frames_are_skipped(name: str, video_dir: Path) -> None:
    video = _get_video(name, video_dir)
    with PyAVFrameReader() as reader:
        indices = [0, video.num_frames - 1]
        np.testing.assert_array_equal(_decode(video, indices, reader), video.frames[indices])
        (opened,) = reader._open.values()
        assert opened.skip_nonref
        assert opened._skipped, "no frame was skipped: the fast path is not in use"


def test_intra_only_decodes_only_requested_frames(video_dir: Path, spy: Spy) -> None:
    video = _get_video("mjpeg", video_dir)
    indices = [3, 11, 20]
    np.testing.assert_array_equal(_decode(video, indices), video.frames[indices])
    assert spy.frames_out == len(indices)


def test_reader_continues_consecutive_clips_without_seeking(h264: Video, spy: Spy) -> None:
    n = h264.num_frames
    with PyAVFrameReader() as reader:
        for start in range(0, n - 15, 15):
            indices = np.linspace(start, start + 14, 4).astype(np.int64)
            np.testing.assert_array_equal(_decode(h264, indices, reader), h264.frames[indices])
        assert spy.seeks == 1  # one keyframe: the first clip seeks, the others decode on
        # Going back needs a seek; the frames are still exact.
        np.testing.assert_array_equal(_decode(h264, [1, 2], reader), h264.frames[[1, 2]])
        assert spy.seeks == 2


def test_far_frames_seek_to_their_keyframe(h264_gop: Video, spy: Spy) -> None:
    n = h264_gop.num_frames
    indices = [0, n - 1]
    np.testing.assert_array_equal(_decode(h264_gop, indices), h264_gop.frames[indices])
    assert spy.seeks == 2
    last_key = int(h264_gop.keyframes[-1])
    assert spy.frames_out < n - last_key + 10  # did not decode through the middle


@pytest.mark.parametrize("interpolation", ["bilinear", "area", "bicubic", "nearest"])
def test_size_scales_like_pyav_reformat(h264_gop: Video, interpolation: str) -> None:
    indices = [0, 7, 31]
    width, height = 96, 54
    result = _decode(h264_gop, indices, size=(width, height), interpolation=interpolation)
    assert result.shape == (3, height, width, 3)
    with av.open(h264_gop.path) as container:
        frames = sorted(container.decode(video=0), key=lambda f: f.pts)
        expected = np.stack(
            [
                frames[i]
                .reformat(
                    width=width,
                    height=height,
                    format="rgb24",
                    interpolation=pyav_source._INTERPOLATIONS[interpolation],
                )
                .to_ndarray()
                for i in indices
            ]
        )
    np.testing.assert_array_equal(result, expected)


def test_probe_video_metadata_works_as_is(h264_gop: Video) -> None:
    if probe_video is None:
        pytest.skip("fastvid.data.index is not available")
    meta = probe_video(h264_gop.path)
    indices = [3, 40, 41]
    result = decode_frames(
        meta.path, indices, pts=meta.pts, keyframes=meta.keyframes, time_base=meta.time_base
    )
    np.testing.assert_array_equal(result, h264_gop.frames[indices])


def test_empty_request_returns_empty_array(h264: Video) -> None:
    assert _decode(h264, []).shape == (0, *h264.frames.shape[1:])
    assert _decode(h264, np.zeros(0, dtype=np.int64), size=(32, 24)).shape == (0, 24, 32, 3)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("bad", [-1, 60, 1000])
def test_out_of_range_index_is_a_value_error(h264: Video, bad: int) -> None:
    with pytest.raises(ValueError, match=rf"frame index {bad} is out of range .* 60 frames"):
        _decode(h264, [0, bad])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"size": (0, 10)}, ValueError, r"size \(0, 10\) must be positive"),
        ({"size": 256}, TypeError, "size must be a"),
        ({"threads": -1}, ValueError, r"threads \(-1\) must be >= 0"),
        ({"threads": 1.5}, TypeError, "threads must be an int"),
        ({"interpolation": "lanczos"}, ValueError, r"interpolation \('lanczos'\) must be one of"),
        ({"time_base": Fraction(1, 7)}, ValueError, r"time_base \(1/7\) does not match"),
    ],
)
def test_bad_options(h264: Video, kwargs: dict, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        _decode(h264, [0], **kwargs)


def test_bad_index_arrays(h264: Video) -> None:
    with pytest.raises(TypeError, match="frame_indices must hold integers, got dtype float64"):
        _decode(h264, [0.5])
    with pytest.raises(ValueError, match="frame_indices must be one-dimensional"):
        _decode(h264, [[0, 1]])
    with pytest.raises(ValueError, match=r"pts must be strictly increasing .* pts\[1\]"):
        decode_frames(h264.path, [0], pts=np.array([0, 0, 5]), keyframes=np.array([0]))
    with pytest.raises(ValueError, match="keyframes holds position 99, out of range"):
        decode_frames(h264.path, [0], pts=h264.pts, keyframes=np.array([0, 99]))
    with pytest.raises(ValueError, match="max_open"):
        PyAVFrameReader(max_open=0)


def test_missing_file(tmp_path: Path, h264: Video) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(FileNotFoundError, match=r"nope\.mp4"):
        decode_frames(missing, [0], pts=h264.pts, keyframes=h264.keyframes)


def test_truncated_file_names_the_file_and_frames(tmp_path: Path) -> None:
    path = make_video(tmp_path / "cut.mkv", codec="h264", gop=10)
    video = _load(path)
    with open(path, "r+b") as handle:
        handle.truncate(os.path.getsize(path) * 2 // 3)
    with pytest.raises(FrameDecodeError, match=r"cut\.mkv.*frames \[.*59\] of 60 were never"):
        _decode(video, [0, 59])
    try:
        _decode(video, [59])
    except FrameDecodeError as error:
        assert error.path == str(path)
        assert "truncated" in error.reason and error.kind == "truncated"
        again = pickle.loads(pickle.dumps(error))
        assert (again.path, again.reason, again.kind, str(again)) == (
            error.path,
            error.reason,
            error.kind,
            str(error),
        )


def test_unreadable_file(tmp_path: Path, h264: Video) -> None:
    path = tmp_path / "junk.mp4"
    path.write_bytes(b"not a video" * 100)
    with pytest.raises(FrameDecodeError, match=r"junk\.mp4.*FFmpeg cannot open it") as caught:
        decode_frames(path, [0], pts=h264.pts, keyframes=h264.keyframes)
    assert caught.value.kind == "not_a_video"


def test_index_of_another_file(h264: Video, video_dir: Path) -> None:
    other = _get_video("vp9_gop10", video_dir)
    with pytest.raises(FrameDecodeError, match="were never decoded") as caught:
        decode_frames(h264.path, [0, 5], pts=other.pts * 1000 + 7, keyframes=other.keyframes)
    assert caught.value.kind == "truncated"  # decoded to the end: none of those pts are there


# --------------------------------------------------------------------------- the reader


def test_reader_keeps_at_most_max_open(video_dir: Path) -> None:
    names = ["h264_gop10", "hevc_gop10", "vp9_gop10"]
    with PyAVFrameReader(max_open=2) as reader:
        for name in names:
            _decode(_get_video(name, video_dir), [1], reader)
        assert [Path(p).name for p, _ in reader._open] == ["e10.mp4", "v10.webm"]
        assert "open=2" in repr(reader)
    assert not reader._open  # closed on exit


def test_reader_notices_a_replaced_file(tmp_path: Path, h264: Video, h264_gop: Video) -> None:
    path = tmp_path / "swap.mp4"
    shutil.copy(h264.path, path)
    with PyAVFrameReader() as reader:
        first = reader.decode_frames(path, [5], pts=h264.pts, keyframes=h264.keyframes)
        np.testing.assert_array_equal(first, h264.frames[[5]])
        shutil.copy(h264_gop.path, path)
        os.utime(path, ns=(0, 123))
        second = reader.decode_frames(path, [5], pts=h264_gop.pts, keyframes=h264_gop.keyframes)
        np.testing.assert_array_equal(second, h264_gop.frames[[5]])


def test_reader_pickles_empty_and_survives_errors(h264: Video) -> None:
    reader = PyAVFrameReader(max_open=3)
    _decode(h264, [0], reader)
    copy = pickle.loads(pickle.dumps(reader))
    assert copy.max_open == 3 and not copy._open
    np.testing.assert_array_equal(_decode(h264, [4, 2], copy), h264.frames[[4, 2]])
    with pytest.raises(ValueError, match="out of range"):
        _decode(h264, [999], reader)
    np.testing.assert_array_equal(_decode(h264, [7], reader), h264.frames[[7]])
    reader.close()
    copy.close()
