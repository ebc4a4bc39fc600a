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
from pathlib import Path
from typing import Any

__all__ = ["run_remote"]


def _epoch(videos: Any, cache: Path, **options: Any) -> tuple[int, float]:
    from torch.utils.data import SequentialSampler

    from fastvid.data.samplers import make_clip_sampler
    from fastvid.reader import ClipLoader

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
        list(loader)  # warm: workers started, index cached
        start = time.perf_counter()
        clips = sum(len(batch["label"]) for batch in loader)
        return clips, time.perf_counter() - start
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
            local_clips, local_s = _epoch(layout.from_folder(root), Path(tmp) / "c1")
            remote_videos = layout.from_folder(url, storage_options=options)
            _epoch(remote_videos, Path(tmp) / "c2", storage_options=options)  # index cached
            s3.reset_counts()
            remote_clips, remote_s = _epoch(
                remote_videos, Path(tmp) / "c2", storage_options=options
            )
            served = s3.bytes_sent / 2  # the warm-up epoch and the timed one
    row: dict[str, Any] = {
        "row": "remote",
        "videos": videos,
        "video": f"640x360 H.264, {duration:.0f} s, GOP 30",
        "clips": remote_clips,
        "local_clips_per_s": local_clips / local_s,
        "s3_loopback_clips_per_s": remote_clips / remote_s,
        "s3_vs_local": (remote_clips / remote_s) / (local_clips / local_s),
        "bytes_per_clip": served / remote_clips,
        "mean_file_bytes": sum(sizes) / len(sizes),
    }
    row["bytes_per_clip_vs_file"] = row["bytes_per_clip"] / row["mean_file_bytes"]
    print(
        f"[bench] remote: local {row['local_clips_per_s']:.1f} clips/s, S3 on loopback "
        f"{row['s3_loopback_clips_per_s']:.1f} clips/s ({row['s3_vs_local']:.2f}x); "
        f"{row['bytes_per_clip'] / 1e3:.0f} kB read per clip, "
        f"{row['bytes_per_clip_vs_file']:.2f}x the mean file "
        f"({row['mean_file_bytes'] / 1e3:.0f} kB)"
    )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "remote.json").write_text(json.dumps(row, indent=2))
    return row
