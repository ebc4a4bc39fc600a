"""Generated videos: every codec decodes (with PyAV, the oracle) to frames 0..N-1 in order."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from fastvid.testing import (
    AUDIO_RATE,
    available_codecs,
    container_extension,
    make_video,
    read_audio_segment,
    read_frame_index,
    stamp_band_height,
    tone_hz,
)
from fastvid.testing._video import Codec, Content

CODECS = available_codecs()


def _decode(path: Path) -> tuple[list[np.ndarray], list[Fraction]]:
    """All frames as RGB arrays, and their presentation times in seconds, via PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
    times = []
    for f in frames:
        assert f.pts is not None and f.time_base is not None
        times.append(f.pts * f.time_base)
    return [f.to_ndarray(format="rgb24") for f in frames], times


def _packet_pts(path: Path) -> tuple[list[int], Fraction]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        pts = [p.pts for p in container.demux(stream) if p.pts is not None]
        assert stream.time_base is not None
        return sorted(pts), stream.time_base


def test_expected_codecs_are_available() -> None:
    # FACTS.md: PyAV 18 bundles these encoders; the generator must find them all.
    assert set(CODECS) >= {"h264", "hevc", "mpeg4", "vp9", "mjpeg"}


@pytest.mark.parametrize(
    ("codec", "ext"),
    [
        ("h264", ".mp4"),
        ("hevc", ".mp4"),
        ("mpeg4", ".mp4"),
        ("vp9", ".webm"),
        ("vp8", ".webm"),
        ("mjpeg", ".avi"),
        ("xvid", ".avi"),
    ],
)
def test_container_extension(codec: Codec, ext: str) -> None:
    assert container_extension(codec) == ext


@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_reads_back_every_frame(codec: Codec, tmp_path: Path) -> None:
    path = make_video(
        tmp_path / f"v{container_extension(codec)}",
        codec=codec,
        fps=20,
        duration=1.5,
    )
    frames, times = _decode(path)
    assert len(frames) == 30
    assert frames[0].shape == (120, 160, 3)
    assert [read_frame_index(f) for f in frames] == list(range(30))
    if codec == "xvid":  # AVI has no timestamps: FFmpeg's come one frame late, out of order
        assert sorted(times) == [Fraction(i + 1, 20) for i in range(30)]
        assert times != sorted(times)
    else:
        assert times == [Fraction(i, 20) for i in range(30)]


@pytest.mark.parametrize(
    ("codec", "ext"), [("h264", ".mov"), ("hevc", ".mkv"), ("mjpeg", ".mkv"), ("mpeg4", ".avi")]
)
def test_other_containers(codec: Codec, ext: str, tmp_path: Path) -> None:
    path = make_video(tmp_path / f"v{ext}", codec=codec, size=(64, 48), duration=0.5)
    frames, _ = _decode(path)
    assert [read_frame_index(f) for f in frames] == list(range(15))


@pytest.mark.parametrize("codec", CODECS)
def test_same_arguments_give_the_same_file(codec: Codec, tmp_path: Path) -> None:
    ext = container_extension(codec)
    kwargs: dict[str, Any] = {"codec": codec, "size": (96, 72), "duration": 0.5, "seed": 7}
    first = make_video(tmp_path / f"a{ext}", **kwargs).read_bytes()
    second = make_video(tmp_path / f"b{ext}", **kwargs).read_bytes()
    other = make_video(tmp_path / f"c{ext}", **{**kwargs, "seed": 8}).read_bytes()
    assert first == second
    assert first != other


@pytest.mark.parametrize("content", ["textured", "flat", "motion"])
def test_contents_read_back(content: Content, tmp_path: Path) -> None:
    path = make_video(tmp_path / "v.mp4", codec="h264", content=content, duration=0.5)
    frames, _ = _decode(path)
    assert [read_frame_index(f) for f in frames] == list(range(15))


def test_textured_content_pans_and_is_noisy(tmp_path: Path) -> None:
    path = make_video(tmp_path / "v.mkv", codec="mjpeg", size=(160, 120), duration=0.5)
    frames, _ = _decode(path)
    band = stamp_band_height(160, 120)
    body = [f[band:].astype(np.float32) for f in frames]
    assert body[0].std() > 25  # textured, not flat
    assert np.abs(body[0] - body[10]).mean() > 10  # the camera moves


def _bright_centroid(frame: np.ndarray, band: int) -> np.ndarray:
    body = frame[band:].astype(np.float32)
    mask = (body[..., 0] > 200) & (body[..., 1] > 180) & (body[..., 2] < 160)  # yellow disc
    ys, xs = np.nonzero(mask)
    assert len(xs) > 10, "the moving object is not visible"
    return np.array([xs.mean(), ys.mean()])


@pytest.mark.parametrize("motion", [(2.0, 0.0), (-2.0, 0.0), (0.0, 1.5), (0.0, -1.5)])
def test_motion_content_moves_the_object(motion: tuple[float, float], tmp_path: Path) -> None:
    path = make_video(
        tmp_path / "v.webm", size=(112, 112), content="motion", motion=motion, duration=0.4
    )
    frames, _ = _decode(path)
    band = stamp_band_height(112, 112)
    steps = [
        _bright_centroid(frames[i + 1], band) - _bright_centroid(frames[i], band)
        for i in range(len(frames) - 1)
    ]
    # The median ignores a step where the object wraps around an edge.
    median = np.median(np.array(steps), axis=0)
    np.testing.assert_allclose(median, motion, atol=0.5)


@pytest.mark.parametrize(("codec", "ext"), [("h264", ".mp4"), ("vp9", ".webm"), ("mjpeg", ".mkv")])
def test_vfr_has_irregular_timestamps(codec: Codec, ext: str, tmp_path: Path) -> None:
    path = make_video(tmp_path / f"v{ext}", codec=codec, vfr=True, fps=30, duration=2.0)
    pts, time_base = _packet_pts(path)
    gaps = {round(int(g) * time_base * 30) for g in np.diff(pts)}
    assert gaps == {1, 2}, f"frame gaps in 1/30 s units: {gaps}"
    frames, times = _decode(path)
    assert [read_frame_index(f) for f in frames] == list(range(len(frames)))
    assert times[-1] < 2.0 <= times[-1] + Fraction(2, 30)


def test_vfr_gaps_depend_on_the_seed(tmp_path: Path) -> None:
    first = _packet_pts(make_video(tmp_path / "a.mp4", codec="h264", vfr=True, seed=1))[0]
    second = _packet_pts(make_video(tmp_path / "b.mp4", codec="h264", vfr=True, seed=2))[0]
    assert first != second


def test_fractional_fps(tmp_path: Path) -> None:
    path = make_video(tmp_path / "v.mp4", codec="h264", fps=Fraction(30000, 1001), duration=0.5)
    with av.open(str(path)) as container:
        assert container.streams.video[0].average_rate == Fraction(30000, 1001)
    frames, _ = _decode(path)
    assert len(frames) == 15


@pytest.mark.parametrize(("ext", "rotation"), [(".mp4", 90), (".mp4", -90), (".webm", 180)])
def test_rotation_metadata(ext: str, rotation: int, tmp_path: Path) -> None:
    codec: Codec = "h264" if ext == ".mp4" else "vp9"
    path = make_video(tmp_path / f"v{ext}", codec=codec, rotation=rotation, duration=0.2)
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    assert frame.rotation % 360 == rotation % 360  # FFmpeg reads 180 back as -180
    assert read_frame_index(frame.to_ndarray(format="rgb24")) == 0  # pixels stay unrotated


@pytest.mark.parametrize(
    ("codec", "ext", "audio_codec"),
    [("h264", ".mp4", "aac"), ("vp9", ".webm", "opus"), ("mjpeg", ".avi", "pcm_s16le")],
)
def test_audio_track(codec: Codec, ext: str, audio_codec: str, tmp_path: Path) -> None:
    path = make_video(tmp_path / f"v{ext}", codec=codec, audio=True, duration=1.0)
    with av.open(str(path)) as container:
        assert len(container.streams.audio) == 1
        stream = container.streams.audio[0]
        assert stream.codec_context.name == audio_codec
        samples = sum(f.samples for f in container.decode(stream))
    assert abs(samples - 48000) <= 2048  # encoder padding/priming
    frames, _ = _decode(path)
    assert [read_frame_index(f) for f in frames] == list(range(30))


@pytest.mark.parametrize(("codec", "ext"), [("h264", ".mp4"), ("vp9", ".webm"), ("mjpeg", ".avi")])
@pytest.mark.parametrize("channels", [1, 2])
def test_audio_tells_the_time(codec: Codec, ext: str, channels: int, tmp_path: Path) -> None:
    path = make_video(
        tmp_path / f"v{ext}", codec=codec, size=(64, 48), duration=1.0, content="flat",
        audio=True, audio_channels=channels,
    )  # fmt: skip
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.channels == channels
        chunks = [f.to_ndarray() for f in container.decode(stream)]
    planar = chunks[0].shape[0] == channels
    wave = np.concatenate(chunks, axis=1)
    # each channel alone: the left at full level, the right at -1/3 of it
    channel = wave.reshape(channels, -1) if planar else wave.reshape(-1, channels).T
    for tenth in range(10):
        middle = channel[:, tenth * 4800 + 1200 : tenth * 4800 + 3600]
        assert [read_audio_segment(c) for c in middle] == [tenth] * channels
    if channels == 2:
        ratio = np.abs(channel[1]).max() / np.abs(channel[0]).max()
        assert 0.2 < ratio < 0.5  # 1/3, give or take a lossy codec


def test_audio_segments_are_told_apart() -> None:
    t = np.arange(4800) / AUDIO_RATE
    for segment in (0, 7, 39):
        assert read_audio_segment(np.sin(2 * np.pi * tone_hz(segment) * t)) == segment
    with pytest.raises(ValueError, match="too few"):
        read_audio_segment(np.zeros(100))
    with pytest.raises(ValueError, match="not one of the track's"):
        read_audio_segment(np.sin(2 * np.pi * 250.0 * t))


def test_audio_channels_must_be_one_or_two(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="audio_channels"):
        make_video(tmp_path / "v.mp4", codec="h264", audio=True, audio_channels=3)
    with pytest.raises(ValueError, match="audio_codec"):
        make_video(tmp_path / "v.mp4", codec="h264", audio=True, audio_codec="flac")
    with pytest.raises(ValueError, match="needs audio_channels=2"):
        make_video(tmp_path / "v.webm", audio=True, audio_codec="vorbis")


def test_audio_codec_can_be_vorbis(tmp_path: Path) -> None:
    path = make_video(
        tmp_path / "v.webm", size=(64, 48), duration=0.5, content="flat", audio=True,
        audio_codec="vorbis", audio_channels=2,
    )  # fmt: skip
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "vorbis"
        wave = np.concatenate([f.to_ndarray()[0] for f in container.decode(stream)])
    assert read_audio_segment(wave[4800 + 1200 : 4800 + 3600]) == 1


def test_gop_sets_keyframe_interval(tmp_path: Path) -> None:
    path = make_video(tmp_path / "v.mp4", codec="h264", gop=6, duration=1.0)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = sorted(
            (p.pts, p.is_keyframe) for p in container.demux(stream) if p.pts is not None
        )
    keyframes = [i for i, (_, key) in enumerate(packets) if key]
    assert keyframes == [0, 6, 12, 18, 24]


def test_bitrate_controls_size(tmp_path: Path) -> None:
    small = make_video(tmp_path / "s.mp4", codec="h264", size=(320, 240), bitrate=150_000)
    large = make_video(tmp_path / "l.mp4", codec="h264", size=(320, 240), bitrate=1_500_000)
    assert large.stat().st_size > 4 * small.stat().st_size
    rate = small.stat().st_size * 8 / 2.0
    assert 0.5 * 150_000 < rate < 2 * 150_000


def test_creates_parent_folders(tmp_path: Path) -> None:
    path = make_video(str(tmp_path / "x" / "y" / "v.webm"), duration=0.1)
    assert isinstance(path, Path)
    assert path.is_file()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"codec": "av1"}, ValueError, r"codec \('av1'\) must be one of"),
        ({"size": (63, 48)}, ValueError, r"size \(63, 48\) must be even and at least"),
        ({"size": (64, 40)}, ValueError, r"at least \(64, 48\)"),
        ({"size": (64.0, 48)}, TypeError, "size must be a"),
        ({"size": 64}, TypeError, "size must be a"),
        ({"fps": 0}, ValueError, r"fps \(0\) must be in"),
        ({"fps": "30"}, TypeError, "fps must be"),
        ({"duration": 0}, ValueError, r"duration \(0\) must be a positive"),
        ({"duration": 200.0}, ValueError, "stamp holds at most 4096"),
        ({"content": "noise"}, ValueError, r"content \('noise'\) must be one of"),
        ({"motion": (1.0,)}, ValueError, r"motion \(\(1.0,\)\) must be"),
        ({"rotation": 45}, ValueError, r"rotation \(45\) must be one of"),
        ({"bitrate": 0}, ValueError, r"bitrate \(0\) must be > 0"),
        ({"gop": -1}, ValueError, r"gop \(-1\) must be > 0"),
        ({"gop": 2.5}, TypeError, "gop must be an int"),
        ({"seed": 1.5}, TypeError, "seed must be an int"),
        ({"seed": -1}, ValueError, r"seed \(-1\) must be >= 0"),
    ],
)
def test_bad_arguments(
    kwargs: dict[str, Any], error: type[Exception], match: str, tmp_path: Path
) -> None:
    with pytest.raises(error, match=match):
        make_video(tmp_path / "v.webm", **kwargs)
    assert not (tmp_path / "v.webm").exists()


def test_bad_containers(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"extension '\.xyz'; supported containers"):
        make_video(tmp_path / "v.xyz")
    with pytest.raises(ValueError, match=r"vfr=True needs .* '\.avi' has a fixed rate"):
        make_video(tmp_path / "v.avi", codec="mjpeg", vfr=True)
    with pytest.raises(ValueError, match=r"rotation \(90\) needs .* '\.avi' has none"):
        make_video(tmp_path / "v.avi", codec="mjpeg", rotation=90)
    with pytest.raises(ValueError, match=r"cannot write h264 video to .*v\.webm"):
        make_video(tmp_path / "v.webm", codec="h264", duration=0.1)
    assert not (tmp_path / "v.webm").exists()
