"""Write benchmark results: ``results.json`` (raw), ``results.md`` (tables) and PNG plots.

The same module writes the scaling run's ``scaling.json``, ``scaling.md`` and plots.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "TARGETS",
    "headline_ratios",
    "machine_info",
    "machine_tag",
    "mark_best",
    "plot_scaling",
    "plot_throughput",
    "target_for",
    "target_lines",
    "write_json",
    "write_markdown",
    "write_scaling_markdown",
]

# The targets: fastvid / other >= value (where: see target_for).
TARGETS: dict[str, float] = {"pytorchvideo": 5.0, "torchcodec": 1.2, "ceiling": 0.8}
TARGET_SAMPLERS = ("uniform", "random")
PTV_TARGET_PREFIX = "720p-h264"  # >= 5x PyTorchVideo: 720p H.264 (every GOP), uniform, CPU

_PACKAGES = (
    "fastvid",
    "torch",
    "torchvision",
    "nvidia-dali-cuda130",
    "nvidia-dali-cuda120",
    "av",
    "pytorchvideo",
    "torchcodec",
    "decord",
    "numpy",
    "psutil",
)


# --------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpu_info() -> dict[str, Any] | None:
    import torch

    try:
        if not torch.cuda.is_available():
            return None
        info: dict[str, Any] = {
            "name": torch.cuda.get_device_name(0),
            "count": torch.cuda.device_count(),
            "memory_gb": round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1),
            "cuda_runtime": torch.version.cuda,
        }
    except Exception as exc:
        return {"error": str(exc)}
    if shutil.which("nvidia-smi"):
        try:
            driver = (
                subprocess.run(
                    ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                    capture_output=True,
                    text=True,
                    timeout=20,
                    check=False,
                )
                .stdout.strip()
                .splitlines()
            )
            info["driver"] = driver[0] if driver else None
        except (OSError, subprocess.SubprocessError):
            info["driver"] = None
    return info


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    versions["python"] = platform.python_version()
    try:
        import av

        versions["pyav_libavcodec"] = ".".join(map(str, av.library_versions["libavcodec"]))
    except Exception:
        pass
    if shutil.which("ffmpeg"):  # the system FFmpeg torchcodec loads
        try:
            first = subprocess.run(
                ["ffmpeg", "-version"], capture_output=True, text=True, timeout=20, check=False
            ).stdout.splitlines()
            versions["system_ffmpeg"] = first[0].split()[2] if first else None
        except (OSError, subprocess.SubprocessError, IndexError):
            versions["system_ffmpeg"] = None
    return versions


def machine_info() -> dict[str, Any]:
    """CPU, cores, RAM, GPU and driver, library versions and the current load."""
    import psutil

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "gpu": _gpu_info(),
        "versions": _versions(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


def machine_tag(info: dict[str, Any]) -> str:
    """Folder name for a machine's results: ``"cpu"`` or ``"gpu-<name>"``."""
    gpu = info.get("gpu")
    if not gpu or "name" not in gpu:
        return "cpu"
    name = re.sub(r"[^a-z0-9]+", "-", gpu["name"].lower()).strip("-")
    return f"gpu-{name.removeprefix('nvidia-')}"


# --------------------------------------------------------------------------- analysis


def _sampler(row: dict[str, Any]) -> str:
    return str(row.get("sampler", "uniform"))  # results from before the sampler column


def mark_best(rows: list[dict[str, Any]]) -> None:
    """Set ``best`` on the fastest ``ok`` config of each (dataset, sampler, row, device)."""
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        row["best"] = False
        if row["status"] == "ok" and row.get("clips_per_s"):
            key = (row["dataset"], _sampler(row), row["row"], row["device"])
            groups.setdefault(key, []).append(row)
    for members in groups.values():
        max(members, key=lambda r: r["clips_per_s"])["best"] = True


def _best(
    rows: Iterable[dict[str, Any]], dataset: str, sampler: str, row: str, device: str
) -> dict | None:
    for r in rows:
        key = (r["dataset"], _sampler(r), r["row"], r["device"])
        if r["best"] and key == (dataset, sampler, row, device):
            return r
    return None


def target_for(name: str, dataset: str, sampler: str, device: str) -> float | None:
    """The issue's target for fastvid / ``name`` on one workload, or ``None``.

    fastvid >= 1.2x torchcodec and >= 0.8x the ceiling on every dataset (each device against
    the same device) with the ``uniform`` and ``random`` samplers; >= 5x PyTorchVideo (best N)
    on 720p H.264 with the ``uniform`` sampler on the CPU.
    """
    if name in ("torchcodec", "ceiling") and sampler in TARGET_SAMPLERS:
        return TARGETS[name]
    if (
        name == "pytorchvideo"
        and dataset.startswith(PTV_TARGET_PREFIX + "-")
        and sampler == "uniform"
        and device == "cpu"
    ):
        return TARGETS[name]
    return None


def headline_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """fastvid / other (best config of each) per dataset, clip sampler and device, same run.

    Also ``pytorchvideo_all_cores``: against PyTorchVideo with ``num_workers`` = all cores.
    """
    cores = os.cpu_count() or 1
    out = []
    keys = list(dict.fromkeys((r["dataset"], _sampler(r), r["device"]) for r in rows))
    for dataset, sampler, device in keys:  # run order
        fast = _best(rows, dataset, sampler, "fastvid", device)
        if fast is None:
            continue
        # Baselines on the same device; PyTorchVideo only exists on the CPU.
        others = {
            "pytorchvideo": _best(rows, dataset, sampler, "pytorchvideo", "cpu"),
            "torchcodec": _best(rows, dataset, sampler, "torchcodec", device),
            "decord": _best(rows, dataset, sampler, "decord", device),
            "ceiling": _best(rows, dataset, sampler, "ceiling", device),
        }
        all_cores = next(
            (
                r
                for r in rows
                if (r["dataset"], _sampler(r), r["row"], r["status"])
                == (dataset, sampler, "pytorchvideo", "ok")
                and r["params"].get("num_workers") == cores
                and r.get("clips_per_s")
            ),
            None,
        )
        entry: dict[str, Any] = {
            "dataset": dataset,
            "sampler": sampler,
            "gop": fast.get("gop"),
            "device": device,
            "fastvid_config": fast["config"],
            "fastvid_clips_per_s": fast["clips_per_s"],
        }
        for name, other in others.items():
            if other is None:
                continue
            ratio = fast["clips_per_s"] / other["clips_per_s"]
            entry[name] = {
                "config": other["config"],
                "clips_per_s": other["clips_per_s"],
                "ratio": round(ratio, 3),
            }
            target = target_for(name, dataset, sampler, device)
            if target is not None:
                entry[name]["target"] = target
                entry[name]["met"] = ratio >= target
        if all_cores is not None:
            entry["pytorchvideo_all_cores"] = {
                "config": all_cores["config"],
                "clips_per_s": all_cores["clips_per_s"],
                "ratio": round(fast["clips_per_s"] / all_cores["clips_per_s"], 3),
            }
        out.append(entry)
    return out


def target_lines(ratios: Sequence[dict[str, Any]]) -> list[str]:
    """One line per target: how many were met, then each one missed."""
    checked = [
        (entry, name, value)
        for entry in ratios
        for name, value in entry.items()
        if isinstance(value, dict) and "target" in value
    ]
    if not checked:
        return ["Targets: none checked (no workload with a target ran)"]
    met = sum(value["met"] for _, _, value in checked)
    lines = [f"Targets: {met} of {len(checked)} met"]
    for entry, name, value in checked:
        if not value["met"]:
            lines.append(
                f"missed: {entry['dataset']} {entry['sampler']} {entry['device']}: "
                f"fastvid / {name} = {value['ratio']:.2f}x (target >= {value['target']:g}x)"
            )
    return lines


# --------------------------------------------------------------------------- files


def write_json(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """Write ``payload`` as indented JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    return path


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _machine_lines(machine: dict[str, Any]) -> list[str]:
    gpu = machine.get("gpu")
    gpu_text = "none" if not gpu else f"{gpu.get('name')} (driver {gpu.get('driver', '?')})"
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    return [
        f"- CPU: {machine['cpu_model']}, {machine['cpu_usable']} usable cores "
        f"({machine['cpu_count']} logical); RAM {machine['ram_gb']} GB; GPU: {gpu_text}",
        f"- Load average at start: {machine['load_average']}"
        + (f", at end: {machine['load_average_end']}" if "load_average_end" in machine else ""),
        f"- Versions: {versions}",
    ]


_TABLE_HEAD = (
    "| loader | device | config | clips/s | frames/s | first batch s | epoch restart s "
    "| CPU s/clip | peak RSS MB | RSS Δ MB | PSS Δ MB | GPU MB | status |\n"
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def _row_line(r: dict[str, Any]) -> str:
    status = r["status"] if not r["reason"] else f"{r['status']}: {r['reason']}"
    status = status.replace("|", "/").replace("\n", " ")[:160]
    star = " ★" if r["best"] else ""
    return (
        f"| {r['row']}{star} | {r['device']} | {r['config']} | {_fmt(r['clips_per_s'])} "
        f"| {_fmt(r['frames_per_s'], 0)} | {_fmt(r['first_batch_s'])} "
        f"| {_fmt(r['restart_s'])} "
        f"| {_fmt(r['cpu_s_per_clip'], 3)} | {_fmt(r['peak_rss_mb'], 0)} "
        f"| {_fmt(r['rss_delta_mb'], 0)} | {_fmt(r['pss_delta_mb'], 0)} "
        f"| {_fmt(r['peak_gpu_mb'], 0)} | {status} |"
    )


def _ratio_lines(ratios: Sequence[dict[str, Any]]) -> list[str]:
    lines = [
        "| dataset | GOP | sampler | device | fastvid config | fastvid clips/s "
        "| ÷ PyTorchVideo (best N) | ÷ PyTorchVideo (all cores) | ÷ torchcodec | ÷ decord "
        "| ÷ ceiling |",
        "|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in ratios:
        cells = []
        for key in ("pytorchvideo", "pytorchvideo_all_cores", "torchcodec", "decord", "ceiling"):
            value = entry.get(key)
            if value is None:
                cells.append("–")
                continue
            text = f"{value['ratio']:.2f}x"
            if "target" in value:
                text += f" ({'meets' if value['met'] else 'misses'} ≥{value['target']:g}x)"
            cells.append(text)
        lines.append(
            f"| {entry['dataset']} | {_fmt(entry.get('gop'))} | {entry.get('sampler', 'uniform')} "
            f"| {entry['device']} | {entry['fastvid_config']} "
            f"| {entry['fastvid_clips_per_s']:.2f} | " + " | ".join(cells) + " |"
        )
    return lines


def _sampler_text(name: str) -> str:
    return {
        "uniform": "uniform 2 s clips (the seed config)",
        "random": "one random 2 s clip per video (what training uses)",
        "constant_clips_per_video": "4 evenly spaced 2 s clips per video",
    }.get(name, name)


def write_markdown(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """Tables of ``results.json``'s content: ratios first, then every row per workload."""
    rows = payload["rows"]
    workloads = payload.get("workloads") or [
        {"dataset": d["name"], "sampler": "uniform", "clips": d.get("clips")}
        for d in payload["datasets"]
    ]
    samplers = list(dict.fromkeys(w["sampler"] for w in workloads))
    lines = [
        "# fastvid loader benchmark",
        "",
        f"Command: `{payload['command']}` — {payload['started']} — total "
        f"{payload['total_s']:.0f} s.",
        "",
        *_machine_lines(payload["machine"]),
        "",
        "Workloads: clip samplers "
        + ", ".join(f"`{name}` ({_sampler_text(name)})" for name in samplers)
        + "; each then `UniformTemporalSubsample(8)`, `RandomShortSideScale(256, 320)`, "
        "`RandomCrop(244)`, `RandomHorizontalFlip(0.5)`, float32 CTHW; batch size "
        f"{payload['batch_size']}; sequential video order; every row loads the same clips "
        "(fastvid's plan), at most "
        f"{payload.get('max_clips', '–')} per pass ({payload.get('ptv_max_clips', '–')} for "
        "PyTorchVideo), whole videos from the start of the dataset. "
        "Each row runs two passes over the same clips: a warm-up pass (its first batch gives "
        "*first batch s*: loader set-up, worker start, first decode) and a measured pass, timed "
        "whole (clips/s = its clips / its wall time). "
        "★ = the fastest config of a loader, used in the ratios.",
        "",
        "## Headline ratios (fastvid ÷ other, same run)",
        "",
        *_ratio_lines(payload["ratios"]),
        "",
        *[
            f"**{line}**" if i == 0 else f"- {line}"
            for i, line in enumerate(target_lines(payload["ratios"]))
        ],
        "",
    ]
    for note in payload.get("notes", []):
        lines.append(f"> {note}")
        lines.append("")
    lines += [
        "## Datasets",
        "",
        "| dataset | videos | size | GOP (frames) | Mbit/s | keyframe every (frames, mean) |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for d in payload["datasets"]:
        lines.append(
            f"| {d['name']} | {d['num_videos']} | {d['width']}x"
            f"{d['height']} {d['codec']} {d['fps']} fps {d['duration']:g} s "
            f"| {_fmt(d.get('keyint'))} | {d['mbit_per_s']:.2f} "
            f"| {d['keyframe_interval_frames']:.0f} |"
        )
    if payload.get("workloads"):
        lines += [
            "",
            "## Workloads",
            "",
            "| dataset | sampler | videos | clips | PyTorchVideo videos | PyTorchVideo clips "
            "| clips in a whole epoch |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for w in payload["workloads"]:
            lines.append(
                f"| {w['dataset']} | {w['sampler']} | {w['videos']} | {w['clips']} "
                f"| {_fmt(w['ptv_videos'])} | {_fmt(w['ptv_clips'])} | {w['epoch_clips']} |"
            )
    for w in workloads:
        lines += ["", f"## {w['dataset']} · {w['sampler']}", "", _TABLE_HEAD]
        lines += [
            _row_line(r)
            for r in rows
            if (r["dataset"], _sampler(r)) == (w["dataset"], w["sampler"])
        ]
    engine = [r for r in rows if r["row"] == "fastvid" and "overhead_ms_per_clip" in r["params"]]
    if engine:
        lines += [
            "",
            "## fastvid's engine, per clip (measured epoch)",
            "",
            "*overhead* = time outside decoding and the graph/finish (scheduling, messages, "
            "shared-memory bookkeeping, batch assembly), the loader's process and its workers "
            "together; *decode* = worker time in the decoder (PyAV decode + RGB conversion, or "
            "GOP cuts); *finish* = the resize/crop/flip/normalise step (DALI's graph, or torch "
            "on the CPU path); *decoded frames* = frames decoded per clip (8 are returned).",
            "",
            "| dataset | sampler | device | config | overhead ms | decode ms | finish ms "
            "| decoded frames | workers x FFmpeg threads |",
            "|---|---|---|---|---:|---:|---:|---:|---|",
        ]
        for r in engine:
            p = r["params"]
            lines.append(
                f"| {r['dataset']} | {_sampler(r)} | {r['device']} | {r['config']} "
                f"| {p['overhead_ms_per_clip']:.2f} | {p['decode_ms_per_clip']:.1f} "
                f"| {p['finish_ms_per_clip']:.1f} | {p['decoded_frames_per_clip']:.1f} "
                f"| {p['workers']} x {p['decoder_threads']} |"
            )
    lines += [
        "",
        "Columns: *epoch restart s* = time to the first batch of the measured pass (the "
        "loader's latency at an epoch start; included in clips/s, amortised by long epochs); "
        "*CPU s/clip* = CPU seconds the whole process tree spent per clip after the "
        "first batch (robust to a busy machine); *RSS Δ* = peak RSS of the process tree minus "
        "its RSS before the row (counts pages shared by worker processes once per process); "
        "*PSS Δ* = the same with shared pages split between processes; *GPU MB* = peak device "
        "memory in use minus before.",
        "",
        "Plots: " + ", ".join(f"`{p}`" for p in payload.get("plots", [])),
        "",
    ]
    path = Path(path)
    path.write_text("\n".join(lines))
    return path


# --------------------------------------------------------------------------- plots


def _pyplot() -> Any:
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
    plt = _pyplot()
    written = []
    best = [r for r in rows if r["best"]]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in best:
        codec = r["dataset"].split("-")[1] if "-" in r["dataset"] else r["dataset"]
        groups.setdefault((codec, r["device"], _sampler(r)), []).append(r)
    for (codec, device, sampler), members in sorted(groups.items()):
        datasets = sorted({r["dataset"] for r in members}, key=_dataset_key)
        loaders = [
            n
            for n in ("pytorchvideo", "torchcodec", "decord", "fastvid", "ceiling")
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


def write_scaling_markdown(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """Tables of the scaling run."""
    lines = [
        "# fastvid scaling benchmark",
        "",
        f"Command: `{payload['command']}` — {payload['started']} — total "
        f"{payload['total_s']:.0f} s.",
        "",
        *_machine_lines(payload["machine"]),
        "",
        f"Videos: {payload['video']}. Loader: {payload['loader']}.",
        "",
        "## Cost against the number of videos",
        "",
        "| videos | index build s | index µs/video | index RSS Δ MB | plan s | loader clips/s "
        "| first batch s | peak RSS MB | PSS Δ MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in payload["videos"]:
        lines.append(
            f"| {r['videos']} | {_fmt(r['index_s'], 2)} | {_fmt(r['index_us_per_video'], 0)} "
            f"| {_fmt(r['index_rss_delta_mb'], 1)} | {_fmt(r['plan_s'], 3)} "
            f"| {_fmt(r['clips_per_s'])} | {_fmt(r['first_batch_s'])} "
            f"| {_fmt(r['peak_rss_mb'], 0)} | {_fmt(r['pss_delta_mb'], 0)} |"
        )
    lines += [
        "",
        "## Throughput against batch size",
        "",
        "| batch size | clips/s | first batch s | peak RSS MB | PSS Δ MB |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in payload["batch_sizes"]:
        lines.append(
            f"| {r['batch_size']} | {_fmt(r['clips_per_s'])} | {_fmt(r['first_batch_s'])} "
            f"| {_fmt(r['peak_rss_mb'], 0)} | {_fmt(r['pss_delta_mb'], 0)} |"
        )
    lines += ["", "Plots: " + ", ".join(f"`{p}`" for p in payload.get("plots", [])), ""]
    path = Path(path)
    path.write_text("\n".join(lines))
    return path


def plot_scaling(out_dir: str | os.PathLike[str], payload: dict[str, Any]) -> list[str]:
    """``scaling_videos.png`` (index time, clips/s vs videos) and ``scaling_batch.png``."""
    plt = _pyplot()
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
