"""Headline ratios (fastvid / each other loader, best config of each) and the targets."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "CLASSIC_TARGETS",
    "PTV_TARGET_PREFIX",
    "TARGETS",
    "TARGET_SAMPLERS",
    "headline_ratios",
    "mark_best",
    "sampler_of",
    "target_for",
    "target_lines",
]

# The targets: fastvid / other >= value (where: see target_for).
TARGETS: dict[str, float] = {"pytorchvideo": 5.0, "torchcodec": 1.2, "ceiling": 0.8}
# Issue 22's targets on the datasets shaped like the classic ones (``CLASSIC_SUFFIX``): every
# row, uniform and random samplers, CPU.
CLASSIC_TARGETS: dict[str, float] = {
    "pytorchvideo": 5.0,
    "same_pixels": 1.2,
    "spdl_filtergraph": 1.0,
    "strict_ceiling": 0.8,
}
CLASSIC_SUFFIX = "-like"  # ucf101-like, kinetics-like, ssv2-like
# Loaders that return the same pixels as fastvid (the seed's exact torch transforms)
SAME_PIXELS_ROWS = ("torchcodec", "decord", "spdl")
TARGET_SAMPLERS = ("uniform", "random")
PTV_TARGET_PREFIX = "720p-h264"  # >= 5x PyTorchVideo: 720p H.264 (every GOP), uniform, CPU


def sampler_of(row: dict[str, Any]) -> str:
    """A result row's clip sampler."""
    return str(row.get("sampler", "uniform"))  # results from before the sampler column


def mark_best(rows: list[dict[str, Any]]) -> None:
    """Set ``best`` on the fastest ``ok`` config of each (dataset, sampler, row, device)."""
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        row["best"] = False
        if row["status"] == "ok" and row.get("clips_per_s"):
            key = (row["dataset"], sampler_of(row), row["row"], row["device"])
            groups.setdefault(key, []).append(row)
    for members in groups.values():
        max(members, key=lambda r: r["clips_per_s"])["best"] = True


def _best(
    rows: Iterable[dict[str, Any]], dataset: str, sampler: str, row: str, device: str
) -> dict | None:
    for r in rows:
        key = (r["dataset"], sampler_of(r), r["row"], r["device"])
        if r["best"] and key == (dataset, sampler, row, device):
            return r
    return None


def target_for(name: str, dataset: str, sampler: str, device: str) -> float | None:
    """The issue's target for fastvid / ``name`` on one workload, or ``None``.

    fastvid >= 1.2x torchcodec and >= 0.8x the ceiling on every dataset (each device against
    the same device) with the ``uniform`` and ``random`` samplers; >= 5x PyTorchVideo (best N)
    on 720p H.264 with the ``uniform`` sampler on the CPU. On the classic-shaped datasets
    (``*-like``), issue 22's :data:`CLASSIC_TARGETS` instead, on the CPU.
    """
    if dataset.endswith(CLASSIC_SUFFIX):
        if name in CLASSIC_TARGETS and sampler in TARGET_SAMPLERS and device == "cpu":
            return CLASSIC_TARGETS[name]
        return None
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
    keys = list(dict.fromkeys((r["dataset"], sampler_of(r), r["device"]) for r in rows))
    for dataset, sampler, device in keys:  # run order
        fast = _best(rows, dataset, sampler, "fastvid", device)
        if fast is None:
            continue
        # Baselines on the same device; PyTorchVideo only exists on the CPU.
        others = {
            "pytorchvideo": _best(rows, dataset, sampler, "pytorchvideo", "cpu"),
            "torchcodec": _best(rows, dataset, sampler, "torchcodec", device),
            "decord": _best(rows, dataset, sampler, "decord", device),
            "spdl": _best(rows, dataset, sampler, "spdl", device),
            "spdl_filtergraph": _best(rows, dataset, sampler, "spdl_filtergraph", device),
            "ceiling": _best(rows, dataset, sampler, "ceiling", device),
            "strict_ceiling": _best(rows, dataset, sampler, "strict_ceiling", device),
            "transform_ceiling": _best(rows, dataset, sampler, "transform_ceiling", device),
        }
        same = [row for n in SAME_PIXELS_ROWS if (row := others[n]) is not None]
        if others["spdl"] is not None:  # runs with SPDL: the best of the same-pixels rows
            others["same_pixels"] = max(same, key=lambda r: r["clips_per_s"])
        all_cores = next(
            (
                r
                for r in rows
                if (r["dataset"], sampler_of(r), r["row"], r["status"])
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
            if name == "same_pixels":
                entry[name]["row"] = other["row"]
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
