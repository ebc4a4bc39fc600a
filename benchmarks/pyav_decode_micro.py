"""Micro-benchmark of the CPU decode hot path: frame-selective PyAV decoding vs decoding everything.

Workload (the CPU benchmark's): a 1280x720 30 fps 6 s H.264 video with textured, noisy content
(about 2.5 Mbit/s, made with ``fastvid.testing.make_video``), cut into 2 s clips (60 frames) of
which 8 uniformly spaced frames are wanted (PyTorchVideo's ``UniformTemporalSubsample``). Cases:

* ``all frames -> RGB``: what PyTorchVideo's PyAV decoder does: seek to the clip, decode every
  frame up to its end, convert every clip frame to RGB, then keep 8;
* ``decode only, whole file``: the ceiling of sequential decoding (frames/s as clips/s);
* ``decode_frames``: :func:`fastvid.reader.decoding.pyav_source.decode_frames`, full size and with
  ``size=(455, 256)`` (RGB conversion and scaling in one swscale call);
* ``PyAVFrameReader``: one reader reused over shuffled and in-order clips;
* FFmpeg threading modes (``thread_type``, ``threads``) for the scaled case.

Every case reports wall-clock clips/s and CPU seconds per clip (all threads): on a shared machine
wall-clock numbers are noisy, CPU time less so.

Run: ``python benchmarks/pyav_decode_micro.py [--seconds 2] [--video PATH]`` (about a minute on 2
cores, plus ~20 s to encode the video the first time). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from fastvid.data.index import VideoMeta, probe_video
from fastvid.reader.decoding import _pyav_stream
from fastvid.reader.decoding.pyav_source import PyAVFrameReader, decode_frames
from fastvid.testing import make_video

CLIP_FRAMES = 60
FRAMES_PER_CLIP = 8
SCALED = (455, 256)


def _default_video() -> Path:
    path = Path(tempfile.gettempdir()) / "fastvid_bench" / "h264_1280x720_30fps_6s.mp4"
    if not path.exists():
        print(f"encoding {path} ...", flush=True)
        make_video(path, codec="h264", size=(1280, 720), fps=30, duration=6.0, content="textured")
    return path


def _clips(meta: VideoMeta) -> list[np.ndarray]:
    """8 uniformly spaced frames of each whole 2 s clip (PyTorchVideo's subsample formula)."""
    starts = range(0, meta.num_frames - CLIP_FRAMES + 1, CLIP_FRAMES)
    pick = np.linspace(0, CLIP_FRAMES - 1, FRAMES_PER_CLIP).astype(np.int64)  # truncates
    return [start + pick for start in starts]


def _measure(run_clip: Callable[[int], None], clips: int, seconds: float) -> tuple[float, float]:
    """Run clips round-robin for ``seconds``; return (clips/s wall, CPU ms per clip)."""
    run_clip(0)  # warm up (page cache, first open)
    done = 0
    wall, cpu = time.perf_counter(), time.process_time()
    while done < clips or time.perf_counter() - wall < seconds:
        run_clip(done % clips)
        done += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return done / wall, 1000 * cpu / done


def _all_frames_rgb(meta: VideoMeta, clips: list[np.ndarray]) -> Callable[[int], None]:
    def run(i: int) -> None:
        first, last = int(meta.pts[clips[i][0]]), int(meta.pts[clips[i][0] + CLIP_FRAMES - 1])
        with av.open(meta.path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            container.seek(first, stream=stream, backward=True)
            frames = []
            for frame in container.decode(stream):
                if frame.pts is not None and frame.pts >= first:
                    frames.append(frame.to_rgb().to_ndarray())
                if frame.pts is not None and frame.pts >= last:
                    break
        np.stack(frames)[clips[i] - clips[i][0]]

    return run


def _decode_only_rate(meta: VideoMeta, seconds: float) -> tuple[float, float]:
    def run(_: int) -> None:
        with av.open(meta.path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for _frame in container.decode(stream):
                pass

    files_per_s, cpu_ms_per_file = _measure(run, 1, seconds)
    per_file_clips = meta.num_frames / CLIP_FRAMES
    return files_per_s * per_file_clips, cpu_ms_per_file / per_file_clips


def _selective(
    meta: VideoMeta,
    clips: list[np.ndarray],
    *,
    size: tuple[int, int] | None,
    threads: int = 0,
    reader: PyAVFrameReader | None = None,
    order: list[int] | None = None,
) -> Callable[[int], None]:
    decode = decode_frames if reader is None else reader.decode_frames
    order = order or list(range(len(clips)))

    def run(i: int) -> None:
        decode(
            meta.path,
            clips[order[i]],
            pts=meta.pts,
            keyframes=meta.keyframes,
            time_base=meta.time_base,
            size=size,
            threads=threads,
        )

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=None, help="video to use (default: make one)")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per case (default: 2)")
    args = parser.parse_args()

    meta = probe_video(args.video or _default_video())
    clips = _clips(meta)
    n = len(clips)
    shuffled = [int(i) for i in np.random.default_rng(0).permutation(n * 4) % n]
    mbit_s = os.path.getsize(meta.path) * 8e-6 * meta.avg_fps / meta.num_frames
    print(
        f"{Path(meta.path).name}: {meta.codec} {meta.width}x{meta.height}, {meta.num_frames} "
        f"frames, {len(meta.keyframes)} keyframe(s), {mbit_s:.2f} "
        f"Mbit/s; {n} clips of {CLIP_FRAMES} frames, {FRAMES_PER_CLIP} frames each; "
        f"{os.cpu_count()} CPUs\n"
    )
    rows: list[tuple[str, tuple[float, float]]] = []
    s = args.seconds
    rows.append(
        ("all frames -> RGB (PyTorchVideo-style)", _measure(_all_frames_rgb(meta, clips), n, s))
    )
    rows.append(("decode only, whole file (AUTO threads)", _decode_only_rate(meta, s)))
    rows.append(("decode_frames, full size", _measure(_selective(meta, clips, size=None), n, s)))
    rows.append(
        (f"decode_frames, size={SCALED}", _measure(_selective(meta, clips, size=SCALED), n, s))
    )
    with PyAVFrameReader() as reader:
        run = _selective(meta, clips, size=SCALED, reader=reader, order=shuffled)
        rows.append(("PyAVFrameReader, scaled, shuffled clips", _measure(run, len(shuffled), s)))
    with PyAVFrameReader() as reader:
        run = _selective(meta, clips, size=SCALED, reader=reader)
        rows.append(("PyAVFrameReader, scaled, clips in order", _measure(run, n, s)))
    default_type = _pyav_stream._THREAD_TYPE
    try:
        # threads=1 is single-threaded whatever the type; 0 = FFmpeg's default (cores + 1).
        modes = [("AUTO", 0), ("FRAME", 0), ("SLICE", 0), ("AUTO", 1), ("AUTO", 2)]
        for thread_type, threads in modes:
            _pyav_stream._THREAD_TYPE = thread_type  # private knob, for this comparison only
            run = _selective(meta, clips, size=SCALED, threads=threads)
            label = f"decode_frames, scaled, thread_type={thread_type} threads={threads}"
            rows.append((label, _measure(run, n, s)))
    finally:
        _pyav_stream._THREAD_TYPE = default_type

    baseline = rows[0][1][0]
    print("| case | clips/s (wall) | vs all-frames | CPU ms / clip |\n|---|---:|---:|---:|")
    for label, (rate, cpu_ms) in rows:
        print(f"| {label} | {rate:.2f} | {rate / baseline:.1f}x | {cpu_ms:.0f} |")


if __name__ == "__main__":
    main()
