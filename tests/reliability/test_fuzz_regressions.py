"""Regressions: the files the fuzz tests found bugs with, rebuilt from the small sources.

Each test fails on the code before its fix (the comment says what happened then).
"""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np
import pytest

from fastvid.data.index import VideoProbeError, probe_video
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.decoding.gop import GopCutError, GopCutter
from fastvid.reader.decoding.pyav_source import FrameDecodeError, decode_frames
from fastvid.reader.loader.clip_loader import ClipLoader
from fastvid.testing import read_frame_index
from tests.reliability.conftest import damaged_packet, loader_options
from tests.reliability.containers import ebml_elements, mp4_boxes
from tests.reliability.fuzz import CLIP_SECONDS, Sources


@pytest.mark.timeout(60)
def test_mp4_without_a_sample_description_is_a_named_probe_error(
    sources: Sources, tmp_path: Path
) -> None:
    # was: AttributeError (PyAV gives the stream no codec context), "unexpected" in the index
    data = sources["h264"]
    stsd = next(box for box in mp4_boxes(data) if box.kind == "stsd")
    path = tmp_path / "no_stsd.mp4"
    path.write_bytes(data[: stsd.start] + data[stsd.end :])
    with pytest.raises(VideoProbeError, match="no decoder for its video stream") as info:
        probe_video(path)
    assert info.value.path == str(path)


def _repeated_timestamps(sources: Sources, path: Path) -> Path:
    """The H.264 source with its first ``ctts`` entry's sample count set to 0: the composition
    offsets slide by one sample and two frames get the same pts."""
    data = bytearray(sources["h264"])
    ctts = next(box for box in mp4_boxes(bytes(data)) if box.kind == "ctts")
    first_count = ctts.payload + 8  # version/flags, entry count, then (count, offset) pairs
    data[first_count : first_count + 4] = (0).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    return path


@pytest.mark.timeout(120)
def test_frames_that_share_a_timestamp_are_refused_by_the_index(
    sources: Sources, tmp_path: Path
) -> None:
    # was: indexed, then the PyAV worker raised ValueError ("pts must be strictly increasing"),
    # which stopped the epoch with WorkerTaskError instead of skipping the file
    bad = _repeated_timestamps(sources, tmp_path / "repeated_pts.mp4")
    with av.open(str(bad)) as container:
        shown = [p.pts for p in container.demux(video=0) if p.pts is not None]
    assert len(set(shown)) < len(shown), "the crafted file should repeat a pts"
    with pytest.raises(VideoProbeError, match="repeat another frame's timestamp"):
        probe_video(bad)
    good = tmp_path / "good.mp4"
    good.write_bytes(sources["h264"])
    loader = ClipLoader(
        [(str(good), 0), (str(bad), 1)],
        cache_dir=tmp_path / "cache",
        **loader_options(
            clip_sampler=make_clip_sampler("uniform", CLIP_SECONDS), cpu_decoder="pyav"
        ),
    )
    try:
        names = [name for batch in loader for name in batch["video_name"]]
    finally:
        loader.close()
    assert set(names) == {"good.mp4"} and len(names) == len(loader.plan(0))
    assert [(s.path, s.epoch, s.kind) for s in loader.skipped] == [(str(bad), None, "timestamps")]


@pytest.mark.timeout(60)
def test_pyav_refuses_frames_predicted_from_a_damaged_keyframe(
    sources: Sources, tmp_path: Path
) -> None:
    # was: frames after a keyframe FFmpeg concealed errors in came back unflagged, and after a
    # seek (no earlier frame to conceal from) they differed from a sequential decode's by ~60/255
    source = tmp_path / "source.mp4"
    source.write_bytes(sources["h264"])
    meta = probe_video(source)
    assert meta.keyframes.tolist()[:2] == [0, 10]
    bad = damaged_packet(source, tmp_path / "damaged_keyframe.mp4", packet_number=10)
    meta = probe_video(bad)
    with av.open(str(bad)) as container:
        container.streams.video[0].codec_context.thread_count = 1
        flagged = [f.pts for f in container.decode(video=0) if f.is_corrupt]
    assert int(meta.pts[10]) in flagged, "the damaged keyframe should be flagged corrupt"
    assert int(meta.pts[12]) not in flagged, "the frames after it are not flagged by FFmpeg"
    with pytest.raises(FrameDecodeError, match="damaged"):
        decode_frames(bad, [12, 13], pts=meta.pts, keyframes=meta.keyframes, threads=1)
    # the next GOP starts from a clean keyframe: its frames are exact
    frames = decode_frames(bad, [20, 21], pts=meta.pts, keyframes=meta.keyframes, threads=1)
    assert [read_frame_index(f) for f in frames] == [20, 21]


@pytest.mark.timeout(60)
def test_metadata_that_is_not_utf8_does_not_stop_a_worker(sources: Sources, tmp_path: Path) -> None:
    # was: the index opened the file with metadata_errors="ignore", the workers did not: PyAV
    # raised UnicodeDecodeError on the "major_brand" tag, a WorkerTaskError that ended the epoch
    data = bytearray(sources["h264"])
    assert data[8:12] == b"isom"  # ftyp's major brand
    data[10] = 0xEF  # not UTF-8
    path = tmp_path / "brand.mp4"
    path.write_bytes(bytes(data))
    meta = probe_video(path)
    frames = decode_frames(path, [0, 12], pts=meta.pts, keyframes=meta.keyframes, threads=1)
    assert [read_frame_index(f) for f in frames] == [0, 12]
    with GopCutter() as cutter:
        cut = cutter.cut(str(path), np.array([12]), pts=meta.pts, keyframes=meta.keyframes)
    assert cut.packets >= 3  # keyframe 10 up to frame 12


@pytest.mark.timeout(60)
def test_vp9_packet_shown_before_its_keyframe_is_refused_by_the_cut(
    sources: Sources, tmp_path: Path
) -> None:
    # was: the cut for DALI left the packet out as if it were an open GOP's leading picture,
    # but VP9 frames after it are predicted from it: DALI returned wrong frames, silently
    data = bytearray(sources["vp9"])
    blocks = [e for e in ebml_elements(bytes(data)) if e.kind == "SimpleBlock"]
    keys = [i for i, b in enumerate(blocks) if data[b.payload + 3] & 0x80]
    key, after = blocks[keys[1]], blocks[keys[1] + 1]  # the second keyframe, the frame after it
    key_time = struct.unpack_from(">h", data, key.payload + 1)[0]
    struct.pack_into(">h", data, after.payload + 1, key_time - 34)  # shown before the keyframe
    path = tmp_path / "early_pts.webm"
    path.write_bytes(bytes(data))
    meta = probe_video(path)
    later = int(meta.keyframes[1]) + 4
    with av.open(str(path)) as container:
        decode_order = [p.pts for p in container.demux(video=0) if p.pts is not None]
    assert decode_order != sorted(decode_order), "the crafted file should show a frame early"
    with GopCutter() as cutter, pytest.raises(GopCutError, match="timestamps are damaged"):
        cutter.cut(str(path), np.array([later]), pts=meta.pts, keyframes=meta.keyframes)
    with GopCutter() as cutter:  # the GOPs before it are cut as before
        cut = cutter.cut(str(path), np.array([3]), pts=meta.pts, keyframes=meta.keyframes)
    assert cut.frames.tolist() == [3]


@pytest.mark.timeout(60)
def test_vp9_keyframe_coded_at_another_size_is_a_named_probe_error(
    sources: Sources, tmp_path: Path
) -> None:
    # was: indexed as 16480x72 (FFmpeg takes the size from the first keyframe) while later
    # keyframes are 96x72; DALI's decoder allocated 16480-wide frames: wrong pixels, silently
    data = bytearray(sources["vp9"])
    first = next(e for e in ebml_elements(bytes(data)) if e.kind == "SimpleBlock")
    frame = first.payload + 4  # after the track number, timecode and flags
    assert data[frame : frame + 7] == bytes.fromhex("824983420005f0")  # profile 0, 96 wide
    data[frame + 4] |= 0x04  # frame_width_minus_1: 0x005f -> 0x405f
    path = tmp_path / "wide_first_keyframe.webm"
    path.write_bytes(bytes(data))
    with pytest.raises(VideoProbeError, match=r"keyframe at pts \d+ is coded at 96x72") as info:
        probe_video(path)
    assert "states 16480x72" in info.value.reason
    assert info.value.kind == "damaged_header"
