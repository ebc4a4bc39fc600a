"""Probing one file: every field against PyAV decoding and PyTorchVideo; unreadable files."""

from __future__ import annotations

import os
import re
import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from fastvid.data.index import VideoProbeError, probe_video
from tests.data.index import BAD_FILE_KINDS, VIDEOS, bad_files, decoded


@pytest.mark.parametrize("name", sorted(VIDEOS))
def test_probe_matches_pyav_decoding(videos: dict[str, str], name: str) -> None:
    path = videos[name]
    meta = probe_video(path)
    pts, keyframes, rotation = decoded(path)
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
    assert [probe_video(videos[f"rot{r}.webm"]).rotation for r in (90, 270)] == [90, 270]
    assert probe_video(videos["vp9.webm"]).rotation == 0
    assert probe_video(videos["h264_audio.mp4"]).has_audio
    assert len(probe_video(videos["h264.mp4"]).keyframes) >= 3  # gop 8, 30 frames


@pytest.mark.parametrize("name", ["h264.mp4", "vp9.webm", "vfr.mp4", "vfr.webm", "mjpeg.avi"])
def test_duration_is_pytorchvideos(videos: dict[str, str], name: str) -> None:
    from pytorchvideo.data.encoded_video import EncodedVideo

    expected = EncodedVideo.from_path(videos[name], decode_audio=False, decoder="pyav").duration
    got = probe_video(videos[name]).duration
    assert isinstance(got, Fraction)
    assert got == expected


@pytest.mark.parametrize(
    "name", ["h264_audio.mp4", "vp9_audio.webm", "mjpeg_audio.avi", "h264.mp4", "vp9.webm"]
)
def test_duration_with_audio_is_pytorchvideos(videos: dict[str, str], name: str) -> None:
    from pytorchvideo.data.encoded_video import EncodedVideo

    expected = EncodedVideo.from_path(videos[name], decode_audio=True, decoder="pyav").duration
    meta = probe_video(videos[name])
    assert meta.duration_with_audio == expected
    if not meta.has_audio:
        assert meta.duration_with_audio == meta.duration


def test_webm_duration_with_audio_is_the_longer_track(videos: dict[str, str]) -> None:
    # Neither WebM stream states a duration: PyTorchVideo takes each track's last frame, and
    # this Opus track's last frame (0.994 s) comes after the last video frame (0.967 s).
    meta = probe_video(videos["vp9_audio.webm"])
    assert meta.duration == Fraction(967, 1000)
    assert meta.duration_with_audio == Fraction(994, 1000)


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
    assert meta.pts.tolist() == decoded(videos[name])[0]
    seconds = meta.pts_to_seconds(meta.pts)
    assert isinstance(seconds, np.ndarray) and seconds[0] == 0.0
    assert meta.pts_to_seconds(int(meta.pts[1])) == int(meta.pts[1]) * meta.time_base


@pytest.mark.parametrize("kind", ["empty", "random", "audio", "missing", "folder"])
def test_unreadable_files_raise_probe_errors(tmp_path: Path, kind: str) -> None:
    path, reason = bad_files(tmp_path)[kind]
    with pytest.raises(
        VideoProbeError, match=rf"cannot read video {re.escape(path)}: {reason}"
    ) as e:
        probe_video(path)
    assert e.value.kind == BAD_FILE_KINDS[kind]


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

    monkeypatch.setattr(av, "open", denied)
    with pytest.raises(
        VideoProbeError, match=r"h264\.mp4: permission denied; check the file's"
    ) as e:
        probe_video(videos["h264.mp4"])
    assert e.value.kind == "permission"


def test_truncated_file(videos: dict[str, str], tmp_path: Path) -> None:
    data = Path(videos["vp9.webm"]).read_bytes()
    path = tmp_path / "cut.webm"
    path.write_bytes(data[: len(data) // 2])
    meta = probe_video(path)  # FFmpeg reads what is there, like a decoder would
    assert 0 < meta.num_frames < probe_video(videos["vp9.webm"]).num_frames


def test_probe_error_pickles() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(VideoProbeError("/x.mp4", "broken", "truncated")))
    assert (err.path, err.reason, err.kind, str(err)) == (
        "/x.mp4",
        "broken",
        "truncated",
        "cannot read video /x.mp4: broken",
    )


def _encode(path: Path, codec: str, pix_fmt: str) -> str:
    """Five frames of ``codec`` in ``pix_fmt``, written with PyAV."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, pix_fmt
        for i in range(5):
            image = np.full((48, 64, 3), 40 * i, np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


def _decoded_pix_fmt(path: str) -> str:
    """What FFmpeg's software decoder outputs: the coded pixel format."""
    with av.open(path) as container:
        return str(next(container.decode(video=0)).format.name)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("h264.mp4", "yuv420p"),
        ("mjpeg.avi", "yuvj420p"),  # JPEG's full-range YUV
        ("vp9.webm", "yuv420p"),
        (("libx264", "yuv444p"), "yuv444p"),  # no chroma subsampling
        (("libx265", "yuv420p10le"), "yuv420p10le"),  # 10-bit HEVC
    ],
)
def test_probe_reads_the_coded_pixel_format(
    videos: dict[str, str], tmp_path: Path, source: str | tuple[str, str], expected: str
) -> None:
    if isinstance(source, tuple):
        path = _encode(tmp_path / f"{source[1]}.mp4", *source)
    else:
        path = videos[source]
    assert probe_video(path).pix_fmt == expected == _decoded_pix_fmt(path)


def test_pix_fmt_is_empty_when_the_stream_states_none() -> None:
    from fastvid.data.index._probe import _pix_fmt

    class NoFormat:
        format = None

    class Stream:
        codec_context = NoFormat()
        format = None

    assert _pix_fmt(Stream()) == ""
