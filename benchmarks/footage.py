"""Benchmark footage: the encoders that write one benchmark video, and its packet statistics.

Every video is a panning textured scene with sensor noise (``fastvid.testing.make_video``,
``content="textured"``), at bit rates like real footage. H.264 files come straight from
``make_video`` (libx264); ``spec.gop=None`` keeps x264's default GOP (a keyframe every 250
frames at most). VP9 files are the same scenes transcoded from the H.264 files of the same GOP
setting with libvpx-vp9 in real-time mode, with the matching keyframe interval (``kf-max-dist``
250 or the GOP): ``make_video``'s own VP9 encoder (``deadline=good``) takes about 10 s of CPU per
second of 720p video; the transcodes decode at the same speed (PyAV, 720p: 444-462 frames/s
against 442-458 for ``make_video``'s VP9) at ~3 Mbit/s at 720p.

Each function writes to a temporary name and renames it when done, so an interrupted encode
never leaves a file that looks finished. They are top-level functions, so that the
``spawn`` process pools of :mod:`benchmarks.datasets` can run them. Which files to write, where,
and when to reuse them is :mod:`benchmarks.datasets`' job.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import TYPE_CHECKING

import av

if TYPE_CHECKING:
    from benchmarks.datasets import DatasetSpec

__all__ = [
    "MPEG4_BITS_PER_PIXEL",
    "MPEG4_B_FRAMES",
    "VP9_BITS_PER_PIXEL",
    "file_stats",
    "make_h264",
    "make_tiny",
    "make_xvid_avi",
    "transcode_mpeg4_avi",
    "transcode_vp9",
]

# VP9 transcode: target bits per pixel per frame. libvpx's real-time mode overshoots textured,
# noisy content by ~2.5x: 0.045 (1.24 Mbit/s nominal at 720p30) lands at ~3 Mbit/s.
VP9_BITS_PER_PIXEL = 0.045
_VP9_OPTIONS = {"deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
# MPEG-4 Part 2 in AVI, like UCF101's and HMDB51's Xvid files: two B-frames between reference
# frames (packed in AVI, so the container carries no presentation order), ~0.15 bit per pixel
# (~290 kbit/s at 320x240, 25 fps, as UCF101's files).
MPEG4_B_FRAMES = 2
MPEG4_BITS_PER_PIXEL = 0.15


def _part(path: str, extension: str) -> str:
    """A temporary name next to ``path``, unique to this process."""
    return f"{path}.part{os.getpid()}{extension}"


def make_h264(path: str, spec: DatasetSpec, seed: int) -> str:
    """Write video ``path`` of ``spec`` (H.264, textured scene ``seed``); return ``path``."""
    from fastvid.testing import make_video

    tmp = _part(path, ".mp4")
    make_video(
        tmp,
        codec="h264",
        size=(spec.width, spec.height),
        fps=spec.fps,
        duration=spec.duration,
        content="textured",
        bitrate=spec.bitrate,
        gop=spec.gop,
        seed=seed,
    )
    os.replace(tmp, path)
    return path


def transcode_vp9(source: str, path: str, spec: DatasetSpec, threads: int) -> str:
    """Re-encode ``source`` with libvpx-vp9 (real-time mode), frame for frame.

    The keyframe interval is ``spec.keyint`` (FFmpeg's ``gop_size`` is libvpx's
    ``kf_max_dist``).
    """
    bitrate = spec.bitrate or round(VP9_BITS_PER_PIXEL * spec.width * spec.height * spec.fps)
    time_base = Fraction(1, spec.fps)
    tmp = _part(path, ".webm")
    with av.open(source) as src, av.open(tmp, "w", options={"fflags": "+bitexact"}) as out:
        stream = src.streams.video[0]
        encoder = out.add_stream("libvpx-vp9", rate=spec.fps, options=dict(_VP9_OPTIONS))
        encoder.width, encoder.height = spec.width, spec.height
        encoder.pix_fmt = "yuv420p"
        encoder.bit_rate = bitrate
        encoder.codec_context.thread_count = threads
        encoder.codec_context.gop_size = spec.keyint
        encoder.codec_context.time_base = time_base
        encoder.time_base = time_base
        for i, frame in enumerate(src.decode(stream)):
            frame = _sized(frame, spec.width, spec.height)
            frame.pts = i
            frame.time_base = time_base
            out.mux(encoder.encode(frame))
        out.mux(encoder.encode(None))
    os.replace(tmp, path)
    return path


def _sized(frame: av.VideoFrame, width: int, height: int) -> av.VideoFrame:
    """``frame`` at ``width`` x ``height`` (an odd width, e.g. SSv2's 427, from an even source)."""
    if (frame.width, frame.height) == (width, height):
        return frame
    return frame.reformat(width=width, height=height, format="yuv420p", interpolation="BILINEAR")


def make_xvid_avi(path: str, spec: DatasetSpec, seed: int) -> str:
    """Write video ``path`` of ``spec`` as UCF101's files are: Xvid in AVI with MP3 audio.

    ``fastvid.testing.make_video(codec="xvid")``: MPEG-4 Part 2 with two B-frames per reference
    frame in Xvid's *packed bitstream* (each B-frame run shifted one AVI chunk, as Xvid/DivX
    wrote UCF101's and HMDB51's files), FourCC ``XVID``, keyframe interval ``spec.keyint``,
    and an MP3 track (UCF101's audio codec). The same textured scene ``seed`` as the H.264 sets.
    """
    from fastvid.testing import make_video

    bitrate = spec.bitrate or round(MPEG4_BITS_PER_PIXEL * spec.width * spec.height * spec.fps)
    tmp = _part(path, ".avi")
    make_video(
        tmp,
        codec="xvid",
        size=(spec.width, spec.height),
        fps=spec.fps,
        duration=spec.duration,
        content="textured",
        bitrate=bitrate,
        gop=spec.keyint,
        seed=seed,
        audio=True,
        audio_codec="mp3",
    )
    os.replace(tmp, path)
    return path


def transcode_mpeg4_avi(source: str, path: str, spec: DatasetSpec) -> str:
    """Re-encode ``source`` as MPEG-4 Part 2 in AVI with B-frames, frame for frame (UCF101-like).

    FFmpeg's ``mpeg4`` encoder with :data:`MPEG4_B_FRAMES` B-frames and the ``xvid`` tag,
    keyframe interval ``spec.keyint``; AVI stores no presentation timestamps, so decoders see the
    frames' order only after decoding (what issue 22 found on UCF101).
    """
    bitrate = spec.bitrate or round(MPEG4_BITS_PER_PIXEL * spec.width * spec.height * spec.fps)
    time_base = Fraction(1, spec.fps)
    tmp = _part(path, ".avi")
    with av.open(source) as src, av.open(tmp, "w", options={"fflags": "+bitexact"}) as out:
        stream = src.streams.video[0]
        encoder = out.add_stream("mpeg4", rate=spec.fps)
        encoder.width, encoder.height = spec.width, spec.height
        encoder.pix_fmt = "yuv420p"
        encoder.bit_rate = bitrate
        encoder.codec_tag = "XVID"
        encoder.codec_context.thread_count = 1  # deterministic output
        encoder.codec_context.gop_size = spec.keyint
        encoder.codec_context.max_b_frames = MPEG4_B_FRAMES
        encoder.codec_context.time_base = time_base
        for i, frame in enumerate(src.decode(stream)):
            frame = _sized(frame, spec.width, spec.height)
            frame.pts = i
            frame.time_base = time_base
            frame.pict_type = av.video.frame.PictureType.NONE
            out.mux(encoder.encode(frame))
        out.mux(encoder.encode(None))
    os.replace(tmp, path)
    return path


def file_stats(path: str) -> tuple[float, int, int]:
    """(duration s, number of frames, number of keyframes) from the packets (no decoding)."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = keyframes = 0
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            frames += 1
            keyframes += int(packet.is_keyframe)
        if container.duration is not None:
            seconds = container.duration / av.time_base
        else:  # no container duration: count frames at the nominal rate
            seconds = frames / float(stream.average_rate or 30)
    return float(seconds), frames, keyframes


def make_tiny(path: str, seed: int) -> str:
    """Write the 64x48, 1 s H.264 scaling video ``path`` (scene ``seed``); return ``path``."""
    from fastvid.testing import make_video

    tmp = _part(path, ".mp4")
    make_video(
        tmp, codec="h264", size=(64, 48), fps=30, duration=1.0, content="textured", seed=seed
    )
    os.replace(tmp, path)
    return path
