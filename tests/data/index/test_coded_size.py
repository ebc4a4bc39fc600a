"""The frame size VP8/VP9 keyframes code, read from their headers, against PyAV's decoder."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from fastvid.data.index._coded_size import keyframe_size


def _encode(path: Path, codec: str, size: tuple[int, int], pix_fmt: str) -> Path:
    width, height = size
    frames = np.random.default_rng(0).integers(0, 255, (3, height, width, 3), dtype=np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path


@pytest.mark.parametrize(
    ("codec", "size", "pix_fmt"),
    [
        ("libvpx-vp9", (96, 72), "yuv420p"),  # profile 0
        ("libvpx-vp9", (321, 239), "yuv420p"),  # odd sizes
        ("libvpx-vp9", (64, 48), "yuv444p"),  # profile 1: subsampling bits
        ("libvpx", (100, 50), "yuv420p"),  # VP8
    ],
)
def test_keyframe_size_is_the_decoded_size(
    tmp_path: Path, codec: str, size: tuple[int, int], pix_fmt: str
) -> None:
    path = _encode(tmp_path / "clip.webm", codec, size, pix_fmt)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        name = stream.codec_context.name
        keys = [bytes(p) for p in container.demux(stream) if p.is_keyframe and p.size]
    with av.open(str(path)) as container:
        decoded = next(container.decode(video=0))
    assert keys and (decoded.width, decoded.height) == size
    assert [keyframe_size(name, key) for key in keys] == [size] * len(keys)


def test_keyframe_size_of_anything_else_is_none() -> None:
    assert keyframe_size("h264", b"\x00\x00\x00\x01\x67") is None
    assert keyframe_size("vp9", b"") is None  # too short
    assert keyframe_size("vp9", b"\x82\x49\x83") is None  # cut inside the header
    assert keyframe_size("vp9", b"\x86" + bytes(10)) is None  # an inter frame
    assert keyframe_size("vp8", b"\x01" + bytes(9)) is None  # a VP8 inter frame
