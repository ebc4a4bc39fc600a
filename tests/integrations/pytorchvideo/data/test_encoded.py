"""``EncodedVideo``: the clips and audio PyTorchVideo's own ``EncodedVideo`` returns (oracle)."""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import pytest
import torch
from pytorchvideo.data.encoded_video import EncodedVideo as PtvEncodedVideo

from fastvid.data import EncodedVideo
from fastvid.testing import make_video, read_frame_index

# Windows in seconds: exact Fractions, floats, one past the end, one wholly after it.
WINDOWS = [
    (0, 1),
    (Fraction(1, 3), Fraction(4, 3)),
    (0.5, 1.7),
    (1.2, 3.0),
    (2.5, 3.5),
]


@pytest.fixture(scope="module", params=["h264-aac.mp4", "vp9.webm", "mpeg4-pcm.avi"])
def video(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    codec = {"h264-aac.mp4": "h264", "vp9.webm": "vp9", "mpeg4-pcm.avi": "mpeg4"}[request.param]
    return make_video(
        tmp_path_factory.mktemp("encoded") / request.param,
        codec=codec,
        size=(64, 48),
        duration=2.0,
        fps=15,
        audio=codec != "vp9",
    )


@pytest.mark.parametrize("decode_audio", [True, False])
def test_get_clip_equals_pytorchvideo(video: Path, decode_audio: bool) -> None:
    ours = EncodedVideo.from_path(video, decode_audio=decode_audio)
    theirs = PtvEncodedVideo.from_path(str(video), decode_audio=decode_audio)
    assert ours.duration == theirs.duration
    assert ours.name == theirs.name == video.name
    for start, end in [*WINDOWS, (0, ours.duration + Fraction(1, 10**9))]:
        got, want = ours.get_clip(start, end), theirs.get_clip(start, end)
        for key in ("video", "audio"):
            if want[key] is None:
                assert got[key] is None, (key, start, end)
            else:
                assert got[key] is not None, (key, start, end)
                assert got[key].dtype == torch.float32
                assert torch.equal(got[key], want[key]), (key, start, end)
    ours.close()
    theirs.close()


def test_whole_video_has_every_frame_in_order(video: Path) -> None:
    with EncodedVideo.from_path(video, decode_audio=False) as clip_source:
        frames = clip_source.get_clip(0, clip_source.duration + Fraction(1, 10**9))["video"]
    assert frames is not None and frames.shape[:2] == (3, 30)
    hwc = frames.permute(1, 2, 3, 0).to(torch.uint8)
    indices = [read_frame_index(frame) for frame in hwc]
    assert indices == list(range(30))


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.mp4"):
        EncodedVideo.from_path(tmp_path / "nope.mp4")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    with pytest.raises(RuntimeError, match=r"broken\.mp4"):
        EncodedVideo.from_path(broken)


def test_decoder_names(video: Path) -> None:
    with pytest.raises(ValueError, match="'pyav'"):
        EncodedVideo.from_path(video, decoder="ffmpeg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        EncodedVideo.from_path(video, decoder="decord").close()
    assert all("PyAV" in str(w.message) for w in caught)
