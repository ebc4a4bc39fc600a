"""Shared test data for ``fastvid.data.index``: the generated videos and bad files."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

SMALL = {"size": (64, 48), "duration": 1.0}

VIDEOS: dict[str, dict[str, object]] = {
    "h264.mp4": {"codec": "h264", "gop": 8},
    "h264_audio.mp4": {"codec": "h264", "audio": True},
    "vp9_audio.webm": {"codec": "vp9", "audio": True, "audio_channels": 2},
    "mjpeg_audio.avi": {"codec": "mjpeg", "audio": True},
    "vp9.webm": {"codec": "vp9", "gop": 12},
    "vfr.mp4": {"codec": "h264", "vfr": True},
    "vfr.webm": {"codec": "vp9", "vfr": True},
    "mjpeg.avi": {"codec": "mjpeg", "fps": 25},
    "rot90.mp4": {"codec": "h264", "rotation": 90},
    "rot180.mp4": {"codec": "h264", "rotation": 180},
    "rot270.mp4": {"codec": "h264", "rotation": -90},
    "rot90.webm": {"codec": "vp9", "rotation": 90},
    "rot270.webm": {"codec": "vp9", "rotation": -90},
}


def decoded(path: str) -> tuple[list[int], list[int], int]:
    """PyAV ground truth: sorted frame pts, keyframe positions, first frame's rotation."""
    with av.open(path) as container:
        frames = [(f.pts, f.key_frame, f.rotation) for f in container.decode(video=0)]
    frames.sort(key=lambda frame: frame[0])
    keys = [i for i, (_, key, _) in enumerate(frames) if key]
    return [pts for pts, _, _ in frames], keys, frames[0][2]


def _audio_only(path: Path) -> str:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    return str(path)


BAD_FILE_KINDS = {
    "empty": "empty",
    "random": "not_a_video",
    "audio": "no_video_stream",
    "missing": "missing",
    "folder": "not_a_file",
}
"""bad_files' names -> the VideoErrorKind the probe gives them."""


def bad_files(root: Path) -> dict[str, tuple[str, str]]:
    """{name: (path, expected reason regex)}."""
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
