"""The PNG plots: clips/s per loader, and the scaling run's cost curves."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from fastvid.benchmark.report._ratios import sampler_of

__all__ = ["plot_scaling", "plot_throughput", "pyplot"]


def pyplot() -> Any:
    """matplotlib's ``pyplot`` on the Agg backend (files only, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _dataset_key(name: str) -> tuple[int, int]:
    """Sort ``"720p-h264-gop60"``-style names by resolution, then GOP (longest first)."""
    height = re.match(r"(\d+)p", name)
    gop = re.search(r"-gop(\d+)$", name)
    return (int(height.group(1)) if height else 0, -int(gop.group(1)) if gop else 0)


def _dataset_label(name: str) -> str:
    parts = name.split("-")
    return "\n".join([parts[0], *parts[2:]])  # "720p\ngop250": the codec is in the title


def plot_throughput(out_dir: str | os.PathLike[str], rows: list[dict[str, Any]]) -> list[str]:
    """One grouped bar chart per (codec, device, sampler): clips/s of each loader per dataset."""
    plt = pyplot()
    written = []
    best = [r for r in rows if r["best"]]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in best:
        codec = r["dataset"].split("-")[1] if "-" in r["dataset"] else r["dataset"]
        codec = "classic" if codec == "like" else codec  # ucf101-like, kinetics-like, ...
        groups.setdefault((codec, r["device"], sampler_of(r)), []).append(r)
    for (codec, device, sampler), members in sorted(groups.items()):
        datasets = sorted({r["dataset"] for r in members}, key=_dataset_key)
        loaders = [
            n
            for n in (
                "pytorchvideo",
                "torchcodec",
                "decord",
                "spdl",
                "spdl_filtergraph",
                "fastvid",
                "ceiling",
                "strict_ceiling",
                "transform_ceiling",
            )
            if any(r["row"] == n for r in members)
        ]
        fig, ax = plt.subplots(figsize=(max(6.0, 2.0 + 2.2 * len(datasets)), 4.6))
        width = 0.8 / max(len(loaders), 1)
        for i, loader in enumerate(loaders):
            values = []
            for dataset in datasets:
                match = [r for r in members if r["row"] == loader and r["dataset"] == dataset]
                values.append(match[0]["clips_per_s"] if match else 0.0)
            xs = [x + (i - (len(loaders) - 1) / 2) * width for x in range(len(datasets))]
            bars = ax.bar(xs, values, width, label=loader)
            ax.bar_label(bars, fmt="%.1f", fontsize=7)
        ax.set_xticks(range(len(datasets)), [_dataset_label(d) for d in datasets])
        ax.set_ylabel("clips/s (8 frames, 244x244)")
        ax.set_title(
            f"{codec.upper()} on {device.upper()}, {sampler} clips: clips/s per loader "
            "(best config)",
            fontsize=10,
        )
        ax.margins(y=0.15)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        name = f"throughput_{codec}_{device}_{sampler}.png"
        fig.savefig(Path(out_dir) / name, dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(name)
    return written


def plot_scaling(out_dir: str | os.PathLike[str], payload: dict[str, Any]) -> list[str]:
    """``scaling_videos.png`` (index time, clips/s vs videos) and ``scaling_batch.png``."""
    plt = pyplot()
    written = []
    videos = payload["videos"]
    if videos:
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        counts = [r["videos"] for r in videos]
        left.plot(counts, [r["index_s"] for r in videos], "o-", label="index build")
        left.plot(counts, [r["plan_s"] for r in videos], "s-", label="epoch plan")
        left.set_xscale("log")
        left.set_yscale("log")
        left.set_xlabel("videos")
        left.set_ylabel("seconds")
        left.set_title("Index and plan time (linear = slope 1)")
        left.legend()
        right.plot(counts, [r["clips_per_s"] or 0 for r in videos], "o-", label="clips/s")
        right.set_xscale("log")
        right.set_xlabel("videos")
        right.set_ylabel("clips/s")
        right.set_ylim(bottom=0)
        right.set_title("Loader throughput vs dataset size")
        fig.tight_layout()
        fig.savefig(Path(out_dir) / "scaling_videos.png", dpi=110)
        plt.close(fig)
        written.append("scaling_videos.png")
    sizes = payload["batch_sizes"]
    if sizes:
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        bs = [r["batch_size"] for r in sizes]
        left.plot(bs, [r["clips_per_s"] or 0 for r in sizes], "o-")
        left.set_xscale("log", base=2)
        left.set_xlabel("batch size")
        left.set_ylabel("clips/s")
        left.set_ylim(bottom=0)
        left.set_title("Throughput vs batch size")
        right.plot(bs, [r["peak_rss_mb"] or 0 for r in sizes], "o-", label="peak RSS")
        right.plot(bs, [r["peak_pss_mb"] or 0 for r in sizes], "s-", label="peak PSS")
        right.set_xscale("log", base=2)
        right.set_xlabel("batch size")
        right.set_ylabel("MB (process tree)")
        right.set_title("Host memory vs batch size")
        right.legend()
        fig.tight_layout()
        fig.savefig(Path(out_dir) / "scaling_batch.png", dpi=110)
        plt.close(fig)
        written.append("scaling_batch.png")
    return written
