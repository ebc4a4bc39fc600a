"""The frame plan against PyTorchVideo's PyAV decoder (the oracle).

For every fixture video (H.264 with B-frames, HEVC, MPEG-4, VP9, MJPEG; constant and variable
frame rate; an NTSC-rate file with short GOPs) and many clip windows, the frames
``clip_frame_indices`` plans are exactly the frames ``EncodedVideo.get_clip`` decodes (read back
from the index stamped in each frame), and ``temporal_subsample`` picks exactly what
``uniform_temporal_subsample`` picks from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from pytorchvideo.data.encoded_video import EncodedVideo
from pytorchvideo.transforms.functional import uniform_temporal_subsample

from fastvid.data.index import VideoMeta, VideoProbeError, probe_video
from fastvid.reader.planning.frames import clip_frame_indices, temporal_subsample
from fastvid.testing import stamp_frame_index

Seconds = Fraction | float
Window = tuple[Seconds, Seconds]
SUBSAMPLE_SIZES = (1, 2, 3, 8)


def clip_windows(meta: VideoMeta, times: list[Fraction], seed: int) -> list[Window]:
    """Clip windows that probe every edge of the ``[start, end)`` rule on this video."""
    tick = meta.time_base
    duration = meta.duration if meta.duration is not None else times[-1]
    first, last = times[0], times[-1]
    windows: list[Window] = [
        (Fraction(0), Fraction(1)),
        (Fraction(0), duration),
        (Fraction(0), math.inf),
        (Fraction(-1), first),  # wholly before the first frame (end is exclusive)
        (Fraction(-1, 2), Fraction(1, 5)),  # starts before the first frame
        (duration, duration + 1),  # after the end
        (duration - Fraction(1, 10), duration + 1),  # runs past the end
        (last, last + tick),  # exactly the last frame
        (last + tick / 2, last + 1),  # just after the last frame
        (0.1, 0.6),  # float seconds, as a float-valued sampler would give
        (1 / 3, 4 / 3),
        (Fraction(1, 3), Fraction(4, 3)),
    ]
    rng = np.random.default_rng(seed)
    for k in rng.choice(len(times) - 1, size=min(4, len(times) - 1), replace=False):
        t, t_next = times[k], times[k + 1]
        later = times[min(k + 1 + int(rng.integers(1, 12)), len(times) - 1)]
        windows += [
            (t, t + Fraction(1, 2)),  # starts exactly on a frame: included
            (t - tick / 2, t + tick / 2),  # half a tick either side: that frame alone
            (t + tick / 2, later),  # starts just after a frame: excluded; ends on one
            (t, t_next),  # one frame-interval: the frame at t alone
            (t - tick, t),  # ends exactly on a frame: excluded
        ]
    for _ in range(4):
        start = Fraction(int(rng.integers(-200, 2600)), 1000)
        windows.append((start, start + Fraction(int(rng.integers(1, 1500)), 1000)))
    return windows


def test_fixtures_cover_b_frames_and_vfr(videos, frame_seconds) -> None:
    """The coverage the oracle test claims: reordered (B-)frames and irregular frame gaps."""
    with av.open(str(videos.path("h264"))) as container:
        decode_order_pts = [
            p.pts for p in container.demux(container.streams.video[0]) if p.pts is not None
        ]
    assert decode_order_pts != sorted(decode_order_pts), "h264 fixture has no B-frames"
    for name in ("h264_vfr", "hevc_vfr", "mpeg4_vfr", "vp9_vfr"):
        gaps = np.diff(np.asarray(frame_seconds(videos.meta(name)), dtype=object))
        assert len(set(gaps)) > 1, f"{name} is not variable frame rate"


def test_clip_frame_indices_match_pytorchvideo_get_clip(
    video_name: str, videos, stamps: Callable, frame_seconds: Callable
) -> None:
    meta = videos.meta(video_name)
    encoded = EncodedVideo.from_path(str(videos.path(video_name)), decode_audio=False)
    plan_mismatches = []
    subsample_mismatches = []
    try:
        windows = clip_windows(meta, frame_seconds(meta), seed=len(video_name))
        for start, end in windows:
            video = encoded.get_clip(start, end)["video"]
            expected = stamps(video)
            planned = clip_frame_indices(meta, start, end)
            assert planned.dtype == np.int64
            if planned.tolist() != expected:
                plan_mismatches.append((start, end, planned.tolist(), expected))
                continue
            if video is None:
                continue
            # UniformTemporalSubsample on the decoded clip itself, and (for more sizes, cheaply)
            # on the clip's stamped indices: it only selects along the time axis.
            t = video.shape[1]
            decoded = torch.tensor(expected)
            oracles = {8: stamps(uniform_temporal_subsample(video, 8, temporal_dim=-3))}
            for n in (*SUBSAMPLE_SIZES, t, t + 3, 2 * t + 1):
                oracle = uniform_temporal_subsample(decoded, n, temporal_dim=0).tolist()
                oracles.setdefault(n, oracle)
            for n, oracle in oracles.items():
                mine = temporal_subsample(planned, n).tolist()
                if mine != oracle:
                    subsample_mismatches.append((start, end, n, mine, oracle))
    finally:
        encoded.close()
    assert not plan_mismatches, (
        f"{video_name}: (start, end, fastvid, pytorchvideo) {plan_mismatches}"
    )
    assert not subsample_mismatches, f"{video_name}: {subsample_mismatches}"
    # The windows must have exercised both empty and non-empty clips.
    sizes = {clip_frame_indices(meta, s, e).size > 0 for s, e in windows}
    assert sizes == {True, False}


def _meta_with_pts(path: Path, pts_ms: list[int]) -> VideoMeta:
    """The meta of a 30 fps file with these millisecond timestamps, built without the probe."""
    return VideoMeta(
        path=str(path),
        size=path.stat().st_size,
        mtime_ns=path.stat().st_mtime_ns,
        codec="h264",
        width=96,
        height=72,
        rotation=0,
        time_base=Fraction(1, 1000),
        start_pts=0,
        pts=np.asarray(pts_ms, dtype=np.int64),
        keyframes=np.asarray([0], dtype=np.int32),
        avg_fps=30.0,
        num_frames=len(pts_ms),
        duration=None,
        has_audio=False,
    )


def write_duplicate_pts_video(path: Path, encoder: str, pts_ms: list[int]) -> Path:
    """A Matroska file whose frames carry these timestamps (repeats allowed), stamped 0, 1, ..."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(encoder, rate=30)
        stream.width, stream.height, stream.pix_fmt = 96, 72, "yuv420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        for index, pts in enumerate(pts_ms):
            pixels = rng.integers(60, 200, (72, 96, 3), dtype=np.uint8)
            stamp_frame_index(pixels, index)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = pts, stream.time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.mark.parametrize("encoder", ["libx264", "libvpx-vp9"])
def test_frames_sharing_a_timestamp_match_pytorchvideo(
    encoder: str, tmp_path: Path, stamps: Callable
) -> None:
    """PyTorchVideo keys decoded frames by pts, so of two frames with one pts it keeps one.

    The index refuses such files (their frames cannot be placed by pts when decoding: a named
    skip of kind ``"timestamps"``); the plan still follows PyTorchVideo for a meta that holds
    them (an index built by other means, ``VideoIndex.from_metas``).
    """
    pts_ms = [0, 33, 67, 67, 100, 133, 133, 133, 167, 200, 233]
    path = write_duplicate_pts_video(tmp_path / f"{encoder}.mkv", encoder, pts_ms)
    with pytest.raises(VideoProbeError) as refused:
        probe_video(path)
    assert refused.value.kind == "timestamps"
    meta = _meta_with_pts(path, pts_ms)
    encoded = EncodedVideo.from_path(str(path), decode_audio=False)
    windows = [
        (0, 1),
        (Fraction(67, 1000), Fraction(134, 1000)),
        (Fraction(1, 10), Fraction(2, 15)),
    ]
    try:
        for start, end in windows:
            expected = stamps(encoded.get_clip(start, end)["video"])
            assert clip_frame_indices(meta, start, end).tolist() == expected, (start, end)
    finally:
        encoded.close()
    assert len(clip_frame_indices(meta, 0, 1)) < len(pts_ms)  # duplicates really were dropped


@settings(max_examples=300, deadline=None)
@given(
    t=st.integers(min_value=1, max_value=400),
    n=st.integers(min_value=1, max_value=100),
    offset=st.integers(min_value=0, max_value=1000),
)
def test_temporal_subsample_matches_pytorchvideo_formula(t: int, n: int, offset: int) -> None:
    frames = np.arange(offset, offset + 2 * t, 2, dtype=np.int64)  # any increasing positions
    oracle = uniform_temporal_subsample(torch.from_numpy(frames), n, temporal_dim=0)
    assert temporal_subsample(frames, n).tolist() == oracle.tolist()


def test_temporal_subsample_none_keeps_every_frame() -> None:
    frames = np.array([3, 4, 9])
    assert temporal_subsample(frames, None).tolist() == [3, 4, 9]


@pytest.mark.parametrize("n", [0, -2])
def test_temporal_subsample_rejects_non_positive_sizes(n: int) -> None:
    with pytest.raises(ValueError, match=rf"num_samples \({n}\) must be > 0"):
        temporal_subsample(np.arange(4), n)


def test_temporal_subsample_rejects_empty_clips() -> None:
    with pytest.raises(ValueError, match="empty clip"):
        temporal_subsample(np.zeros(0, dtype=np.int64), 8)
