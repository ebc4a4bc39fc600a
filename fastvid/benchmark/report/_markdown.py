"""``results.md`` and ``scaling.md``: the tables of a run."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastvid.benchmark.report._ratios import sampler_of, target_lines

__all__ = ["cell", "machine_lines", "write_markdown", "write_scaling_markdown"]


def cell(value: Any, digits: int = 2) -> str:
    """``value`` for a table cell: ``–`` for ``None``, floats with ``digits`` decimals."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def machine_lines(machine: dict[str, Any]) -> list[str]:
    """Markdown bullet lines of :func:`~fastvid.benchmark.report.machine_info`'s dict."""
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
        f"| {r['row']}{star} | {r['device']} | {r['config']} | {cell(r['clips_per_s'])} "
        f"| {cell(r['frames_per_s'], 0)} | {cell(r['first_batch_s'])} "
        f"| {cell(r['restart_s'])} "
        f"| {cell(r['cpu_s_per_clip'], 3)} | {cell(r['peak_rss_mb'], 0)} "
        f"| {cell(r['rss_delta_mb'], 0)} | {cell(r['pss_delta_mb'], 0)} "
        f"| {cell(r['peak_gpu_mb'], 0)} | {status} |"
    )


_RATIO_COLUMNS = (
    ("pytorchvideo", "÷ PyTorchVideo (best N)"),
    ("pytorchvideo_all_cores", "÷ PyTorchVideo (all cores)"),
    ("torchcodec", "÷ torchcodec"),
    ("decord", "÷ decord"),
    ("spdl", "÷ SPDL (exact transforms)"),
    ("same_pixels", "÷ fastest same-pixels loader"),
    ("spdl_filtergraph", "÷ SPDL (filter graph)"),
    ("ceiling", "÷ ceiling"),
    ("strict_ceiling", "÷ strict ceiling"),
    ("transform_ceiling", "÷ strict ceiling + transforms"),
)


def _ratio_lines(ratios: Sequence[dict[str, Any]]) -> list[str]:
    # the columns some workload has (runs from before SPDL have no SPDL columns)
    columns = [(k, t) for k, t in _RATIO_COLUMNS if any(k in entry for entry in ratios)]
    lines = [
        "| dataset | GOP | sampler | device | fastvid config | fastvid clips/s | "
        + " | ".join(title for _, title in columns)
        + " |",
        "|---|---:|---|---|---|---:|" + "---:|" * len(columns),
    ]
    for entry in ratios:
        cells = []
        for key, _ in columns:
            value = entry.get(key)
            if value is None:
                cells.append("–")
                continue
            text = f"{value['ratio']:.2f}x"
            if key == "same_pixels":
                text += f" ({value['row']})"
            if "target" in value:
                text += f" ({'meets' if value['met'] else 'misses'} ≥{value['target']:g}x)"
            cells.append(text)
        lines.append(
            f"| {entry['dataset']} | {cell(entry.get('gop'))} | {entry.get('sampler', 'uniform')} "
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
        *machine_lines(payload["machine"]),
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
            f"| {cell(d.get('keyint'))} | {d['mbit_per_s']:.2f} "
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
                f"| {cell(w['ptv_videos'])} | {cell(w['ptv_clips'])} | {w['epoch_clips']} |"
            )
    for w in workloads:
        lines += ["", f"## {w['dataset']} · {w['sampler']}", "", _TABLE_HEAD]
        lines += [
            _row_line(r)
            for r in rows
            if (r["dataset"], sampler_of(r)) == (w["dataset"], w["sampler"])
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
                f"| {r['dataset']} | {sampler_of(r)} | {r['device']} | {r['config']} "
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


def write_scaling_markdown(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """Tables of the scaling run."""
    lines = [
        "# fastvid scaling benchmark",
        "",
        f"Command: `{payload['command']}` — {payload['started']} — total "
        f"{payload['total_s']:.0f} s.",
        "",
        *machine_lines(payload["machine"]),
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
            f"| {r['videos']} | {cell(r['index_s'], 2)} | {cell(r['index_us_per_video'], 0)} "
            f"| {cell(r['index_rss_delta_mb'], 1)} | {cell(r['plan_s'], 3)} "
            f"| {cell(r['clips_per_s'])} | {cell(r['first_batch_s'])} "
            f"| {cell(r['peak_rss_mb'], 0)} | {cell(r['pss_delta_mb'], 0)} |"
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
            f"| {r['batch_size']} | {cell(r['clips_per_s'])} | {cell(r['first_batch_s'])} "
            f"| {cell(r['peak_rss_mb'], 0)} | {cell(r['pss_delta_mb'], 0)} |"
        )
    lines += ["", "Plots: " + ", ".join(f"`{p}`" for p in payload.get("plots", [])), ""]
    path = Path(path)
    path.write_text("\n".join(lines))
    return path
