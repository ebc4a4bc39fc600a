"""``fastvid bench --remote``: S3 on loopback (moto) against local files, in the same run.

A small generated set (not ``bench_data/``) is written to a temporary folder and uploaded to
moto's S3 on 127.0.0.1. One ``ClipLoader`` epoch runs on the local folder and one on the
``s3://`` folder, with the same options and a warm index cache (so the epochs read clips
only). The row reports clips/s for both, and the bytes S3 served per clip against the mean file
size. Needs the dev extra (``moto[server]``, ``s3fs``).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["run_remote"]


def _gop_bytes(requests: Sequence[Any]) -> float:
    """Mean bytes of the packets each clip needs: from the keyframe at or before its first
    frame to its last frame (what a reader that fetched exactly the GOPs would read)."""
    import av
    import numpy as np

    from fastvid.data.index import probe_video

    sizes: dict[str, tuple[Any, dict[int, int]]] = {}
    total = 0
    for request in requests:
        if request.path not in sizes:
            with av.open(request.path) as container:
                packets = {
                    int(p.pts): p.size for p in container.demux(video=0) if p.pts is not None
                }
            sizes[request.path] = (probe_video(request.path), packets)
        meta, packets = sizes[request.path]
        frames = np.sort(request.frame_indices)
        slot = int(np.searchsorted(meta.keyframes, frames[0], side="right")) - 1
        first = int(meta.pts[int(meta.keyframes[max(slot, 0)])])
        last = int(meta.pts[int(frames[-1])])
        total += sum(size for pts, size in packets.items() if first <= pts <= last)
    return total / max(1, len(requests))


def _epochs(
    videos: Any, cache: Path, on_epoch: Any = None, **options: Any
) -> tuple[int, float, Sequence[Any]]:
    """Two epochs of one loader: a first one (workers start, files opened cold), then a timed
    one. ``on_epoch(name)`` is called before each (``"first"``, ``"timed"``) and at the end
    (``"end"``). Returns the timed epoch's clips and seconds, and the epoch's plan."""
    from torch.utils.data import SequentialSampler

    from fastvid.data.samplers import make_clip_sampler
    from fastvid.reader import ClipLoader

    mark = on_epoch or (lambda name: None)
    loader = ClipLoader(
        videos,
        clip_sampler=make_clip_sampler("uniform", 1.0),
        video_sampler=SequentialSampler,
        batch_size=4,
        device="cpu",
        progress=False,
        cache_dir=cache,
        **options,
    )
    try:
        loader.setup()
        mark("first")
        list(loader)
        mark("timed")
        start = time.perf_counter()
        clips = sum(len(batch["label"]) for batch in loader)
        seconds = time.perf_counter() - start
        mark("end")
        return clips, seconds, loader.plan(1)
    finally:
        loader.close()


def run_remote(out: Path | None, *, videos: int = 8, duration: float = 4.0) -> dict[str, Any]:
    """Run the remote row; print it and write ``remote.json`` into ``out`` (if given)."""
    from fastvid.data import layout
    from fastvid.testing import make_video
    from fastvid.testing.servers import S3Server

    with tempfile.TemporaryDirectory(prefix="fastvid-remote-bench-") as tmp:
        root = Path(tmp) / "data"
        for i in range(videos):
            make_video(root / f"c{i % 2}" / f"v{i}.mp4", codec="h264", size=(640, 360),
                       duration=duration, gop=30, seed=i)  # fmt: skip
        sizes = [p.stat().st_size for p in root.rglob("*.mp4")]
        with S3Server() as s3:
            url = s3.upload(root, "bench", "data")
            options = s3.storage_options
            local_clips, local_s, plan = _epochs(layout.from_folder(root), Path(tmp) / "c1")
            gop_bytes = _gop_bytes(plan)
            remote_videos = layout.from_folder(url, storage_options=options)
            served: dict[str, int] = {}

            ended = {"first": "setup", "timed": "first_epoch", "end": "timed_epoch"}

            def count(mark: str) -> None:  # bytes S3 served in the step that just ended
                served[ended[mark]] = s3.bytes_sent
                s3.reset_counts()

            # the first loader builds the index cache; the second reads it (no probing)
            _epochs(remote_videos, Path(tmp) / "c2", storage_options=options)
            remote_clips, remote_s, _ = _epochs(
                remote_videos, Path(tmp) / "c2", on_epoch=count, storage_options=options
            )
    row: dict[str, Any] = {
        "row": "remote",
        "videos": videos,
        "video": f"640x360 H.264, {duration:.0f} s, GOP 30",
        "clips": remote_clips,
        "local_clips_per_s": local_clips / local_s,
        "s3_loopback_clips_per_s": remote_clips / remote_s,
        "s3_vs_local": (remote_clips / remote_s) / (local_clips / local_s),
        # the first epoch: no file open in any worker yet, every byte fetched
        "bytes_per_clip": served["first_epoch"] / remote_clips,
        # the timed epoch: workers keep a few files (and their read blocks) open
        "bytes_per_clip_timed_epoch": served["timed_epoch"] / remote_clips,
        "gop_bytes_per_clip": gop_bytes,
        "mean_file_bytes": sum(sizes) / len(sizes),
    }
    row["bytes_per_clip_vs_file"] = row["bytes_per_clip"] / row["mean_file_bytes"]
    row["bytes_per_clip_vs_gop"] = row["bytes_per_clip"] / gop_bytes
    print(
        f"[bench] remote: local {row['local_clips_per_s']:.1f} clips/s, S3 on loopback "
        f"{row['s3_loopback_clips_per_s']:.1f} clips/s ({row['s3_vs_local']:.2f}x); "
        f"{row['bytes_per_clip'] / 1e3:.0f} kB read per clip = "
        f"{row['bytes_per_clip_vs_gop']:.2f}x the GOP bytes it needs "
        f"({gop_bytes / 1e3:.0f} kB), "
        f"{row['bytes_per_clip_vs_file']:.2f}x the mean file "
        f"({row['mean_file_bytes'] / 1e3:.0f} kB); timed epoch (files kept open) "
        f"{row['bytes_per_clip_timed_epoch'] / 1e3:.0f} kB per clip"
    )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "remote.json").write_text(json.dumps(row, indent=2))
    return row
