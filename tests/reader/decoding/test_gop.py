"""GOP-range cuts: the packets DALI gets hold exactly the planned frames, at the rebased positions.

Each cut is decoded sequentially with PyAV (every frame of the cut, as DALI's decoder does) and
the frame at each rebased position must carry the stamp of the frame asked for: B-frames
(H.264, HEVC), HEVC's open GOPs (CRA keyframes with leading pictures), VFR, MPEG-4, VP9, MJPEG,
and an MP4 whose edit list hides its first frames ("discard" packets).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from fastvid.data.index import probe_video
from fastvid.reader.decoding.gop import GopCutter, gop_spans
from fastvid.testing import make_video, read_frame_index
from tests.reader.conftest import SIZE, with_edit_list


def decode_all(data: bytes) -> list[int]:
    """The stamp of every frame a decoder outputs for an in-memory container, in order."""
    import io

    with av.open(io.BytesIO(data)) as container:
        return [read_frame_index(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]


def stamp_of_position(path: Path) -> list[int]:
    with av.open(str(path)) as container:
        return [read_frame_index(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]


@pytest.fixture(scope="module")
def gop_videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gop")
    common = {"size": SIZE, "duration": 3.0}
    made = {
        "h264": make_video(root / "h264.mp4", codec="h264", gop=24, **common),
        "h264_vfr": make_video(root / "h264_vfr.mp4", codec="h264", gop=20, vfr=True, **common),
        "hevc": make_video(root / "hevc.mp4", codec="hevc", gop=24, **common),
        "mpeg4": make_video(root / "mpeg4.mkv", codec="mpeg4", gop=15, **common),
        "vp9": make_video(root / "vp9.webm", codec="vp9", gop=30, **common),
        "mjpeg": make_video(root / "mjpeg.avi", codec="mjpeg", **common),
    }
    made["h264_edit_list"] = with_edit_list(made["h264"], root / "h264_edit.mp4", 3)
    return made


CASES = [
    [0, 1, 2],
    [30, 31, 40],  # inside the second GOP
    [5, 26, 50, 51],  # three GOPs
    [60, 88],
    [89],  # the last frame
]


@pytest.mark.parametrize("name", ["h264", "h264_vfr", "hevc", "mpeg4", "vp9", "mjpeg"])
@pytest.mark.parametrize("needed", CASES, ids=str)
def test_cut_holds_the_planned_frames_at_the_rebased_positions(
    gop_videos: dict[str, Path], name: str, needed: list[int]
) -> None:
    path = gop_videos[name]
    meta = probe_video(path)
    frames = np.unique(np.minimum(needed, meta.num_frames - 1))
    stamps = stamp_of_position(path)
    with GopCutter() as cutter:
        cut = cutter.cut(str(path), frames, pts=meta.pts, keyframes=meta.keyframes)
    decoded = decode_all(cut.data)
    assert len(decoded) == cut.packets
    assert [decoded[p] for p in cut.frames.tolist()] == [stamps[f] for f in frames.tolist()]


def test_cut_of_an_edit_listed_mp4_counts_its_discard_packets(gop_videos: dict[str, Path]) -> None:
    path = gop_videos["h264_edit_list"]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        hidden = sum(p.is_discard for p in container.demux(stream) if p.size)
    assert hidden == 3, "the fixture should hide its first three frames"
    meta = probe_video(path)
    assert stamp_of_position(path)[0] == 3  # PyAV (and PyTorchVideo) start at the edit
    with GopCutter() as cutter:
        cut = cutter.cut(str(path), np.array([0, 1, 30]), pts=meta.pts, keyframes=meta.keyframes)
    decoded = decode_all(cut.data)  # the cut has no edit list: every packet is output
    assert [decoded[p] for p in cut.frames.tolist()] == [3, 4, 33]


def test_a_late_frame_in_a_long_gop_cuts_only_its_gop(tmp_path: Path) -> None:
    path = make_video(tmp_path / "long.mp4", codec="h264", size=SIZE, duration=10.0, gop=150)
    meta = probe_video(path)
    assert meta.keyframes.tolist()[:2] == [0, 150]
    with GopCutter() as cutter:
        cut = cutter.cut(str(path), np.array([200, 229]), pts=meta.pts, keyframes=meta.keyframes)
    # from keyframe 150 to frame 229 (plus the few reordered packets decoded before it)
    assert 80 <= cut.packets <= 80 + 4
    assert cut.frames.tolist() == [50, 79]


def test_gop_spans_group_frames_by_keyframe() -> None:
    keyframes = np.array([0, 10, 20])
    assert gop_spans(np.array([3, 5, 12, 25]), keyframes) == [(0, 5), (10, 12), (20, 25)]
    assert gop_spans(np.array([1, 2]), np.array([5])) == [(None, 2)]


def test_a_file_that_changed_is_refused(gop_videos: dict[str, Path], tmp_path: Path) -> None:
    meta = probe_video(gop_videos["h264"])
    other = make_video(tmp_path / "other.mp4", codec="h264", size=SIZE, duration=1.0, seed=9)
    with GopCutter() as cutter, pytest.raises(ValueError, match="not where the index puts them"):
        cutter.cut(str(other), np.array([80]), pts=meta.pts, keyframes=meta.keyframes)
