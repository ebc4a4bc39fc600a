"""torch's own ``DataLoader`` over a fastvid dataset vs fastvid's loader vs PyTorchVideo.

A PyTorchVideo script that swaps only its dataset import keeps torch's
``DataLoader(num_workers=2)``; each torch worker then decodes its share of the videos in its
own process with fastvid's frame-selective PyAV decoder and lowered transforms
(:mod:`fastvid.integrations.pytorchvideo._stream`). This measures that against fastvid's own loader
(``fastvid.data.DataLoader``: its worker pool, kept across epochs) and PyTorchVideo 0.1.5
(``LabeledVideoDataset`` + PyAV + torch ``DataLoader(num_workers=2)``), side by side in one run,
rounds interleaved (each round runs every row once, so a change in the machine's load hits every
row alike), on the seed config: eight 1280x720 H.264 30 fps 6 s textured videos
(``benchmarks.datasets``: panning texture with sensor noise, never flat frames), ``uniform`` 2 s
clips (3 per video, 24 per epoch), videos in order, ``UniformTemporalSubsample(8)``,
``RandomShortSideScale(256, 320)``, ``RandomCrop(244)``, ``RandomHorizontalFlip``, batches of 4.

Each row's time is one whole epoch: from ``iter(loader)`` to its last batch. The torch rows start
their workers every epoch (``persistent_workers=False``, torch's default); the
``persistent_workers=True`` row keeps them. fastvid's own loader runs one warm-up epoch first
(index, worker pool), as its later epochs in training reuse them. Every row must load exactly the
24 planned clips ``(video_index, clip_index)``.

Run: ``python -m benchmarks.torch_dataloader [--rounds 3] [--out benchmarks/results/cpu]``; writes
``torch_dataloader.json`` and ``torch_dataloader.md`` there.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import SequentialSampler

from benchmarks.datasets import DEFAULT_DATA_DIR, DatasetSpec, ensure_dataset
from fastvid.benchmark.loaders.workload import seed_sample_transform

SPEC = DatasetSpec("h264", 1280, 720, num_videos=8, duration=6.0)
BATCH_SIZE = 4
CLIP_SECONDS = 2.0


def _dataset(library: str, videos: Any, **options: Any) -> Any:
    """The seed config's ``LabeledVideoDataset`` of ``library`` (``"fastvid"`` or
    ``"pytorchvideo"``) over ``videos``."""
    if library == "fastvid":
        from fastvid.data import make_clip_sampler
        from fastvid.integrations.pytorchvideo.api import LabeledVideoDataset
    else:
        from pytorchvideo.data import LabeledVideoDataset, make_clip_sampler
    return LabeledVideoDataset(
        videos,
        make_clip_sampler("uniform", CLIP_SECONDS),
        SequentialSampler,
        transform=seed_sample_transform(),
        decode_audio=False,
        **options,
    )


def _torch_loader(library: str, *, persistent: bool = False) -> Callable[[Any], Any]:
    """torch's ``DataLoader(num_workers=2)`` over ``library``'s dataset: a new one per epoch, or
    one kept with ``persistent``."""
    kept: dict[str, Any] = {}

    def loader(videos: Any) -> Any:
        if "loader" not in kept or not persistent:
            kept["loader"] = torch.utils.data.DataLoader(
                _dataset(library, videos),
                batch_size=BATCH_SIZE,
                num_workers=2,
                persistent_workers=persistent,
            )
        return kept["loader"]

    return loader


def _fastvid_own() -> Callable[[Any], Any]:
    """fastvid's ``DataLoader`` over its dataset, warmed up by one epoch, kept."""
    from fastvid.data import DataLoader

    kept: dict[str, Any] = {}

    def loader(videos: Any) -> Any:
        if "loader" not in kept:
            dataset = _dataset("fastvid", videos, device="cpu", progress=False)
            kept["loader"] = DataLoader(dataset, batch_size=BATCH_SIZE)
            for _ in kept["loader"]:  # warm-up epoch: index, worker pool
                pass
        return kept["loader"]

    return loader


ROWS: dict[str, Callable[[], Callable[[Any], Any]]] = {
    "torch DataLoader(num_workers=2) over fastvid": lambda: _torch_loader("fastvid"),
    "torch DataLoader(num_workers=2, persistent_workers=True) over fastvid": lambda: _torch_loader(
        "fastvid", persistent=True
    ),
    "fastvid DataLoader (own workers)": _fastvid_own,
    "PyTorchVideo 0.1.5 + torch DataLoader(num_workers=2)": lambda: _torch_loader("pytorchvideo"),
}


def _cpu_seconds() -> float:
    """CPU seconds of this process, its live descendants and its reaped children so far.

    A worker that starts and ends within an epoch (torch's default) is counted when reaped; one
    that lives on (a persistent or fastvid's pool) while alive.
    """
    import resource

    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):  # it ended meanwhile: counted when reaped
            total += sum(child.cpu_times()[:2])
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total + reaped.ru_utime + reaped.ru_stime


def _epoch(loader: Any) -> tuple[float, float, list[tuple[int, int]], tuple[int, ...]]:
    """Wall seconds, CPU seconds, the clip ids and the clip shape of one epoch."""
    cpu = _cpu_seconds()
    began = time.perf_counter()
    ids: list[tuple[int, int]] = []
    shape: tuple[int, ...] = ()
    for batch in loader:
        video = batch["video"]
        shape = tuple(video.shape[1:])
        ids += zip(batch["video_index"].tolist(), batch["clip_index"].tolist(), strict=True)
    return time.perf_counter() - began, _cpu_seconds() - cpu, ids, shape


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--out", default="benchmarks/results/cpu")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the .md from the .json in --out"
    )
    args = parser.parse_args(argv)
    if args.report_only:
        saved = json.loads((Path(args.out) / "torch_dataloader.json").read_text())
        (Path(args.out) / "torch_dataloader.md").write_text(_markdown(saved))
        return
    import sys

    import torchvision.transforms._functional_tensor as functional_tensor

    sys.modules.setdefault("torchvision.transforms.functional_tensor", functional_tensor)
    dataset = ensure_dataset(SPEC, args.data_dir)
    videos = [(p, {"label": label}) for p, label in zip(dataset.paths, dataset.labels, strict=True)]
    expected = sorted((v, c) for v in range(len(videos)) for c in range(3))
    load_start = os.getloadavg()
    makers = {name: make() for name, make in ROWS.items()}
    seconds: dict[str, list[float]] = {name: [] for name in ROWS}
    cpu: dict[str, list[float]] = {name: [] for name in ROWS}
    for number in range(args.rounds):
        for name, make in makers.items():
            took, used, ids, shape = _epoch(make(videos))
            if sorted(ids) != expected:
                raise RuntimeError(f"{name} loaded other clips: {sorted(ids)}")
            seconds[name].append(took)
            cpu[name].append(used / len(ids))
            print(
                f"round {number}: {name}: {len(ids) / took:.2f} clips/s, "
                f"{used / len(ids):.3f} CPU s/clip, {shape}",
                flush=True,
            )
    load_end = os.getloadavg()
    clips = len(expected)
    rates = {name: [clips / s for s in values] for name, values in seconds.items()}
    names = list(ROWS)
    torch_row, own_row, ptv_row = names[0], names[2], names[3]
    ratios = {
        "torch over fastvid / fastvid own": [
            a / b for a, b in zip(rates[torch_row], rates[own_row], strict=True)
        ],
        "torch over fastvid / PyTorchVideo": [
            a / b for a, b in zip(rates[torch_row], rates[ptv_row], strict=True)
        ],
        "persistent torch over fastvid / fastvid own": [
            a / b for a, b in zip(rates[names[1]], rates[own_row], strict=True)
        ],
    }
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_start": load_start,
            "load_end": load_end,
        },
        "workload": {
            "videos": len(videos),
            "spec": SPEC.folder_name,
            "mbit_per_s": round(dataset.mbit_per_s, 2),
            "clips_per_epoch": clips,
            "batch_size": BATCH_SIZE,
        },
        "rounds": args.rounds,
        "clips_per_s": rates,
        "median_clips_per_s": {name: statistics.median(v) for name, v in rates.items()},
        "cpu_s_per_clip": cpu,
        "median_cpu_s_per_clip": {name: statistics.median(v) for name, v in cpu.items()},
        "ratios_per_round": ratios,
        "median_ratios": {name: statistics.median(v) for name, v in ratios.items()},
        "torch": torch.__version__,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "torch_dataloader.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "torch_dataloader.md").write_text(_markdown(result))
    print(_markdown(result))


def _markdown(result: dict[str, Any]) -> str:
    machine = result["machine"]
    lines = [
        "# torch DataLoader over a fastvid dataset (`python -m benchmarks.torch_dataloader`)",
        "",
        f"{machine['cpus']} CPUs, load average {machine['load_start'][0]:.1f} at start, "
        f"{machine['load_end'][0]:.1f} at end (the machine is shared: compare ratios, which "
        f"come from the same round). Workload: {result['workload']['videos']} videos "
        f"({result['workload']['spec']}, {result['workload']['mbit_per_s']} Mbit/s), "
        f"uniform 2 s clips, "
        f"{result['workload']['clips_per_epoch']} clips per epoch, batches of "
        f"{result['workload']['batch_size']}, seed transform; {result['rounds']} rounds.",
        "",
        "| row | clips/s per round | median | CPU s/clip per round | median |",
        "|---|---|---|---|---|",
    ]
    for name, values in result["clips_per_s"].items():
        per_round = ", ".join(f"{v:.2f}" for v in values)
        cpu = ", ".join(f"{v:.3f}" for v in result["cpu_s_per_clip"][name])
        lines.append(
            f"| {name} | {per_round} | {result['median_clips_per_s'][name]:.2f} | {cpu} | "
            f"{result['median_cpu_s_per_clip'][name]:.3f} |"
        )
    lines += ["", "| clips/s ratio (same round) | per round | median |", "|---|---|---|"]
    for name, values in result["ratios_per_round"].items():
        per_round = ", ".join(f"{v:.2f}" for v in values)
        lines.append(f"| {name} | {per_round} | {result['median_ratios'][name]:.2f}x |")
    cpu = result["cpu_s_per_clip"]
    names = list(cpu)
    lines += [
        "",
        "CPU seconds per clip (the whole process tree's, which a busy machine disturbs less "
        "than wall time; on a contended machine a row with more processes also gets a larger "
        "share of the cores) of each row divided by the torch row's: below 1 that row needs "
        "less CPU per clip, above 1 more.",
        "",
        "| CPU ratio (same round) | per round | median |",
        "|---|---|---|",
    ]
    for other in names[1:]:
        ratios = [o / t for o, t in zip(cpu[other], cpu[names[0]], strict=True)]
        per_round = ", ".join(f"{v:.2f}" for v in ratios)
        lines.append(f"| {other} ÷ {names[0]} | {per_round} | {statistics.median(ratios):.2f}x |")
    lines += [
        "",
        "The torch row pays, every epoch, torch's start of two forked workers and one probe "
        "(demux, ~9 ms here) per video in each worker, over an epoch of only 24 clips; its "
        "persistent-workers form pays neither after the first epoch. fastvid's own loader "
        "keeps its spawned workers and its index across epochs.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
