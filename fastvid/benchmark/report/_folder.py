"""``fastvid bench PATH``'s report: ``bench.json``, ``bench.md`` and ``bench.png``."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from fastvid.benchmark.report._json import write_json
from fastvid.benchmark.report._markdown import cell, machine_lines
from fastvid.benchmark.report._plots import pyplot

__all__ = ["folder_table", "plot_folder", "write_folder_markdown", "write_folder_report"]


def _same_frames(row: dict[str, Any]) -> str:
    """The row's frame check in words: ``yes`` / ``no (max diff …)`` / ``–``."""
    if row["row"] == "fastvid":
        return "reference"
    check = row["params"].get("frame_check")
    if not check or check.get("same") is None:
        return "–"
    if check["same"]:
        return f"yes (≤{check['max_mean_abs_diff']:.1f})"
    return f"no (max diff {check['max_mean_abs_diff']:.1f} of 255)"


def folder_table(payload: dict[str, Any]) -> list[str]:
    """The loaders' table (Markdown): one row each, fastvid's ratio to it, same frames."""
    ratios = payload["ratios"]
    lines = [
        "| loader | device | config | clips/s | fastvid ÷ loader | first batch s "
        "| CPU s/clip | peak RSS MB | same frames as fastvid | status |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in payload["rows"]:
        status = r["status"] if not r["reason"] else f"{r['status']}: {r['reason']}"
        status = status.replace("|", "/").replace("\n", " ")[:160]
        ratio = ratios.get(r["row"])
        lines.append(
            f"| {r['row']} | {r['device']} | {r['config']} | {cell(r['clips_per_s'])} "
            f"| {'–' if ratio is None else f'{ratio:.2f}x'} | {cell(r['first_batch_s'])} "
            f"| {cell(r['cpu_s_per_clip'], 3)} | {cell(r['peak_rss_mb'], 0)} "
            f"| {_same_frames(r)} | {status} |"
        )
    for name, why in payload["loaders"]["skipped"].items():
        lines.append(f"| {name} | – | – | – | – | – | – | – | – | skipped: {why[:160]} |")
    return lines


def _file_lines(payload: dict[str, Any]) -> list[str]:
    lines = [
        "| file | codec | size | fps | seconds | fastvid route | clips timed | unreadable by |",
        "|---|---|---|---:|---:|---|---:|---|",
    ]
    root = payload["path"]
    for v in payload["videos"]:
        name = os.path.relpath(v["path"], root) if v["path"].startswith(root) else v["path"]
        route = v["route"] + (f" ({v['route_reason']})" if v.get("route_reason") else "")
        bad = "; ".join(f"{k}: {w[:120]}" for k, w in v["unreadable_by"].items()) or "–"
        lines.append(
            f"| {name} | {v.get('codec', '–')} {v.get('pix_fmt', '')} | {v.get('size', '–')} "
            f"| {cell(v.get('fps'), 1)} | {cell(v.get('duration_s'), 1)} "
            f"| {route} | {v['clips']} | {bad.replace('|', '/')} |"
        )
    return lines


def write_folder_markdown(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """``bench.md``: the run, the machine, the loaders' table, routes and files."""
    clip = payload["clip_config"]
    work = payload["workload"]
    sample = payload["sample"]
    picked = (
        f"{sample['files']} files"
        if sample["files"] is not None
        else f"{sample['minutes']:g} minutes of video"
    )
    routes = ", ".join(f"{name} {n}" for name, n in sorted(payload["route_counts"].items()))
    lines = [
        "# fastvid bench on your videos",
        "",
        f"Command: `{payload['command']}` — {payload['started']} — total "
        f"{payload['total_s']:.0f} s.",
        "",
        *machine_lines(payload["machine"]),
        "",
        f"Videos: `{payload['path']}` ({payload['layout']}, {payload['listed_videos']} videos); "
        f"sample of {picked}, seed {sample['seed']}. Timed: {work['clips']} clips from "
        f"{work['videos']} videos ({work['minutes']:.2f} min of video), batches of "
        f"{payload['batch_size']}.",
        "",
        f"Clips: `{clip['clip_sampler']}` sampler, {clip['clip_duration']:g} s"
        + (
            f", {clip['clips_per_video']} per video"
            if clip["clip_sampler"] == "constant_clips_per_video"
            else ""
        )
        + f"; `UniformTemporalSubsample({clip['num_frames']})`, "
        f"`RandomShortSideScale({clip['short_side'][0]}, {clip['short_side'][1]})`, "
        f"`RandomCrop({clip['crop']})`, `RandomHorizontalFlip({clip['flip_p']:g})`, float32 "
        "CTHW. Every loader loads the same clips (fastvid's plan); each runs a warm-up pass and "
        "a measured pass (clips/s = the measured pass's clips / its wall time). *Same frames*: "
        "each file's first clip decoded by the loader and by fastvid's CPU decoder (PyAV), the "
        "worst frame's mean absolute difference (0..255; ≤ 3 is the same frame).",
        "",
        "## Loaders",
        "",
        *folder_table(payload),
        "",
        f"## fastvid's decoder routes: {routes or 'none'}",
        "",
        "NVDEC: DALI's GPU decoder; DALI CPU: DALI's CPU decoder (VP8/VP9/MJPEG); PyAV: FFmpeg "
        "in fastvid's worker processes (`fastvid.reader.decoding.routing`).",
        "",
        "## Files",
        "",
        *_file_lines(payload),
        "",
    ]
    for note in payload["notes"]:
        lines += [f"> {note}", ""]
    lines += ["Plot: `bench.png`", ""]
    path = Path(path)
    path.write_text("\n".join(lines))
    return path


def plot_folder(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """``bench.png``: clips/s per loader (hatched: other frames than fastvid's)."""
    plt = pyplot()
    rows = [r for r in payload["rows"] if r["status"] == "ok" and r["clips_per_s"]]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.4 * len(rows) + 2), 4.2))
    names = [f"{r['row']}\n{r['device']}" for r in rows]
    values = [r["clips_per_s"] for r in rows]
    colours = ["tab:green" if r["row"] == "fastvid" else "tab:gray" for r in rows]
    bars = ax.bar(names, values, color=colours)
    for bar, r in zip(bars, rows, strict=True):
        if r["params"].get("frame_check", {}).get("same") is False:
            bar.set_hatch("//")
    ax.bar_label(bars, fmt="%.1f", fontsize=8)
    clip = payload["clip_config"]
    counts = Counter(payload["route_counts"])
    ax.set_ylabel(f"clips/s ({clip['num_frames']} frames, {clip['crop']}x{clip['crop']})")
    ax.set_title(
        f"{os.path.basename(payload['path'])}: {payload['workload']['clips']} clips, "
        f"{clip['clip_sampler']} sampler; fastvid routes: "
        + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())),
        fontsize=9,
    )
    ax.margins(y=0.15)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_folder_report(out: str | os.PathLike[str], payload: dict[str, Any]) -> list[Path]:
    """Write ``bench.json``, ``bench.md`` and ``bench.png`` into ``out`` (created); the PNG
    is left out, with a note in the other two, where matplotlib is not installed."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        written.append(plot_folder(out / "bench.png", payload))
    except ImportError as error:
        payload["notes"].append(f"no bench.png: {error} (pip install matplotlib)")
    written.insert(0, write_json(out / "bench.json", payload))
    written.insert(1, write_folder_markdown(out / "bench.md", payload))
    return written
