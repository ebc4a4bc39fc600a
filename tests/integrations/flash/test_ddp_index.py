"""Two DDP ranks start without an index: one probes every video once, both map its file.

``_ddp_index_script.py`` runs as two processes (a gloo process group); each logs every probe
it makes. Here, in the parent: each video was probed exactly once over both ranks, both ranks
use the same index file in the cache folder and have it mapped (pages shared, not copied),
and both handed out a batch.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from fastvid.data.index import VideoIndex
from fastvid.testing import make_dataset

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("_ddp_index_script.py")
WORLD = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ranks_build_the_index_once_and_both_map_it(tmp_path: Path) -> None:
    data = make_dataset(
        tmp_path / "data",
        classes=("a", "b"),
        per_class=3,
        splits=("train",),
        codec="h264",
        size=(64, 48),
        duration=1.0,
        fps=10,
    )
    out = tmp_path / "out"
    out.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    port = str(_free_port())
    args = [str(data / "train"), str(tmp_path / "cache"), str(out)]
    ranks = [
        subprocess.Popen(
            [sys.executable, str(SCRIPT), *args, str(r), str(WORLD), port],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for r in range(WORLD)
    ]
    for process in ranks:
        output, _ = process.communicate(timeout=180)
        assert process.returncode == 0, output[-3000:]

    videos = sorted(str(p) for p in (data / "train").rglob("*.mp4"))
    probes = [line.split("\t") for line in (out / "probes.log").read_text().splitlines()]
    assert sorted(path for _, path in probes) == videos  # each video once, over both ranks
    assert len({rank for rank, _ in probes}) == 1  # by one rank
    records = [json.loads((out / f"rank{r}.json").read_text()) for r in range(WORLD)]
    assert [(r["rank"], r["world_size"]) for r in records] == [(0, WORLD), (1, WORLD)]
    files = {r["index_file"] for r in records}
    assert len(files) == 1 and all(r["mapped"] for r in records)
    (file,) = files
    assert Path(file).parent == tmp_path / "cache" and VideoIndex.load(file).complete
    assert all(r["videos"] == len(videos) and len(r["clips"]) == 2 for r in records)
