"""One rank of a 2-process DDP start-up (gloo) without an index, run by ``test_ddp_index.py``.

Every probe this process makes is appended to ``OUT_DIR/probes.log``. The rank makes a
``ClipLoader`` over the videos of DATA_FOLDER with no index (none beside the data), sets it up
(one rank of the node builds the index file in CACHE_DIR, the other waits and maps it), hands
out one batch, and writes ``rank{r}.json``: the index file it uses, whether that file is mapped
into this process, its length and the batch's clips.

Usage: python _ddp_index_script.py DATA_FOLDER CACHE_DIR OUT_DIR RANK WORLD_SIZE PORT
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import torch.distributed as dist

from fastvid.data.index import _probe
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.loader.clip_loader import ClipLoader


def main() -> None:
    data, cache, out = (Path(arg) for arg in sys.argv[1:4])
    rank, world, port = (int(arg) for arg in sys.argv[4:7])
    real = _probe.probe_video

    def logged(path: str, **options: Any) -> Any:
        with open(out / "probes.log", "a") as log:
            log.write(f"{rank}\t{path}\n")
        return real(path, **options)

    _probe.probe_video = logged  # type: ignore[assignment]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    videos = sorted(str(p) for p in data.rglob("*.mp4"))
    loader = ClipLoader(
        [(path, i % 2) for i, path in enumerate(videos)],
        clip_sampler=make_clip_sampler("uniform", 0.5),
        batch_size=2,
        device="cpu",
        num_workers=1,
        cache_dir=cache,
        progress=False,
    )
    loader.setup()
    index = loader._planner.videos.meta_index  # type: ignore[union-attr]
    maps = Path("/proc/self/maps").read_text() if Path("/proc/self/maps").exists() else ""
    batch = next(iter(loader))
    record = {
        "rank": loader.rank,
        "world_size": loader.world_size,
        "index_file": str(index.file),
        "mapped": str(index.file) in maps,
        "videos": len(index),
        "clips": [
            [int(v), int(c)] for v, c in zip(batch["video_index"], batch["clip_index"], strict=True)
        ],
    }
    loader.close()
    dist.barrier()
    dist.destroy_process_group()
    (out / f"rank{rank}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main()
