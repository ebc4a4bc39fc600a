"""What each phase of the check does, and the report lines it adds.

The CPU half indexes the fixtures (:func:`build_index`), routes them with the NVDEC capability
table (:func:`dry_run`) and runs each comparison's reference loader on the CPU
(:func:`cpu_reference`); the GPU half compares the GPU loader with that reference
(:func:`gpu_compare`), trains one X3D-S step (:func:`train_step`) and measures clips/s
(:func:`throughput`). :mod:`~fastvid.gpu_check._check` runs them in order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastvid.gpu_check._collect import ClipRecord, collect, make_loader
from fastvid.gpu_check._compare import TOLERANCE, compare, reference_problems
from fastvid.gpu_check._damaged import damaged_clips, damaged_problems
from fastvid.gpu_check._fixtures import FixtureSpec, describe
from fastvid.gpu_check._report import GpuCheckReport

__all__ = ["build_index", "cpu_reference", "dry_run", "gpu_compare", "throughput", "train_step"]


def build_index(
    report: GpuCheckReport, specs: Sequence[FixtureSpec], paths: dict[str, Path]
) -> Any:
    """Index the fixtures (``cpu index``, the report's fixture table); ``None`` if any fails."""
    from fastvid.data.index import VideoIndex

    files = [os.fspath(paths[s.name]) for s in specs]
    index = VideoIndex.build(files, cache=False, progress=False)
    report.fixtures = [
        describe(s, paths[s.name], index.meta(os.fspath(paths[s.name])) if s.name else None)
        for s in specs
        if os.fspath(paths[s.name]) in index
    ]
    bad = dict(index.errors)
    report.add(
        "cpu index", not bad, f"{len(files) - len(bad)} indexed" + (f"; {bad}" if bad else "")
    )
    return index if not bad else None


def _routing_rows(specs: Sequence[FixtureSpec], paths: dict[str, Path], routing: Any) -> list[Any]:
    rows = []
    for spec in specs:
        path = os.fspath(paths[spec.name])
        if path in routing.decoders:
            rows.append(
                {
                    "file": spec.filename,
                    "decoder": routing.decoders[path],
                    "expected": spec.expect,
                    "reason": routing.reasons.get(path, ""),
                }
            )
    return rows


def _routing_problems(rows: Sequence[dict[str, Any]]) -> list[str]:
    problems = []
    for r in rows:
        if r["expected"] != "either" and r["decoder"] != r["expected"]:
            why = f": {r['reason']}" if r["reason"] else ""
            problems.append(f"{r['file']} -> {r['decoder']} (expected {r['expected']}{why})")
    return problems


def dry_run(
    report: GpuCheckReport, specs: Sequence[FixtureSpec], paths: dict[str, Path], index: Any
) -> None:
    """Route the fixtures with the NVDEC capability table, no GPU (``cpu routing dry run``)."""
    from fastvid.reader.decoding.routing import route_videos

    metas = {os.fspath(paths[s.name]): index.meta(os.fspath(paths[s.name])) for s in specs}
    routing = route_videos(metas, preferred="nvdec")
    rows = _routing_rows(specs, paths, routing)
    report.routing["dry run (capability table, no GPU)"] = rows
    problems = _routing_problems(rows)
    either = [f"{r['file']} -> {r['decoder']}" for r in rows if r["expected"] == "either"]
    report.add(
        "cpu routing dry run",
        not problems,
        routing.summary().removeprefix("fastvid: ")
        + (f"; unexpected: {problems}" if problems else "")
        + (f"; decided on the GPU: {either}" if either else ""),
    )


def _group_paths(
    specs: Sequence[FixtureSpec], paths: dict[str, Path], groups: tuple[str, ...]
) -> list[Path]:
    return [paths[s.name] for s in specs if s.group in groups]


def _sizes(specs: Sequence[FixtureSpec], paths: dict[str, Path]) -> dict[str, tuple[int, int]]:
    return {os.fspath(paths[s.name]): s.size for s in specs}


def _run_files(run: Any, specs: Sequence[FixtureSpec], paths: dict[str, Path]) -> list[Path]:
    if run.names:
        return [paths[name] for name in run.names]
    return _group_paths(specs, paths, (run.group,))


def _first_bad(specs: Sequence[FixtureSpec], paths: dict[str, Path]) -> dict[str, int]:
    """The damaged fixtures' first damaged frame, per path."""
    return {os.fspath(paths[s.name]): s.damage_from for s in specs if s.damage_from is not None}


def cpu_reference(
    report: GpuCheckReport,
    run: Any,
    specs: Sequence[FixtureSpec],
    paths: dict[str, Path],
    index: Any,
    *,
    keep: bool,
) -> list[ClipRecord]:
    """Run ``run`` on the CPU loader and check it against its plan; returns its clips."""
    files = _run_files(run, specs, paths)
    loader = make_loader(files, run, device="cpu", index=index)
    try:
        plan = loader.plan(0)
        records, first, seconds = collect(loader, files, run, _sizes(specs, paths), keep_video=keep)
        outcome = ""
        if run.group == "damaged":
            problems, damaged = damaged_problems(
                plan, records, loader.skipped, _first_bad(specs, paths)
            )
            outcome = f"; damaged clips: {damaged}"
        else:
            problems = reference_problems(run, plan, records, loader.skipped)
        stamps = "stamps = plan" if run.stamps else "no stamps"
        flips = ""
        if run.stamps and run.canvas is not None:
            flips = f", {sum(1 for r in records if r.flipped)} flipped"
        report.add(
            f"cpu {run.name}",
            not problems,
            f"{len(records)} clips of {len(files)} videos{flips} ({stamps}), "
            f"{seconds:.1f} s (first batch {first:.1f} s)"
            + (f"; {len(problems)} problem(s): {problems[:3]}" if problems else "")
            + outcome,
        )
        return records
    finally:
        loader.close()


def gpu_compare(
    report: GpuCheckReport,
    run: Any,
    specs: Sequence[FixtureSpec],
    paths: dict[str, Path],
    index: Any,
    reference: list[ClipRecord],
) -> None:
    """Run ``run`` on the GPU loader and compare it clip by clip with ``reference``."""
    files = _run_files(run, specs, paths)
    loader = make_loader(files, run, device="gpu", index=index)
    try:
        rows = _routing_rows(specs, paths, loader.routing)
        title = f"GPU loader ({run.group} fixtures)"
        if title not in report.routing:
            report.routing[title] = rows
            problems = _routing_problems(rows)
            report.add(
                f"gpu routing {run.group}",
                not problems,
                loader.routing.summary().removeprefix("fastvid: ")
                + (f"; unexpected: {problems}" if problems else "")
                + f"; budget: {loader.budget.rule}",
            )
        first_bad = _first_bad(specs, paths) if run.group == "damaged" else {}
        plan = loader.plan(0)
        result, records, first, seconds = compare(
            run,
            reference,
            loader,
            files,
            _sizes(specs, paths),
            optional=damaged_clips(plan, first_bad),
        )
        damaged: dict[str, Any] = {}
        if first_bad:
            problems, damaged = damaged_problems(plan, records, loader.skipped, first_bad)
            result.problems += problems
            retried = sum(1 for s in loader.skipped if "DALI could not decode" in s.reason)
            report.notes.append(
                f"damaged run on the GPU: {retried} clip(s) failed inside a DALI batch and were "
                "found by retrying that batch's clips one by one"
            )
        else:
            skipped = [f"{s.path}: {s.reason}" for s in loader.skipped]
            if skipped:
                result.problems.append(f"skipped {skipped[:3]}")
        report.comparisons[run.name] = {
            "description": run.description,
            "summary": result.summary(),
            "passed": result.passed,
            "by_route": result.by_route,
            "flips": result.flips,
            "problems": result.problems[:50],
            "per_clip": result.per_clip,
            "seconds": round(seconds, 2),
            "first_batch_s": round(first, 2),
            "tolerance": TOLERANCE,
            "damaged_clips": damaged,
        }
        summary = result.summary() + (f"; damaged clips: {damaged}" if damaged else "")
        report.add(f"gpu {run.name}", result.passed, summary)
    finally:
        loader.close()


def train_step(
    report: GpuCheckReport, specs: Sequence[FixtureSpec], paths: dict[str, Path]
) -> None:
    """One X3D-S ``Trainer.finetune`` on GPU batches (``gpu training step``)."""
    from fastvid.gpu_check._train import training_step

    # 10 s videos: 4-5 uniform 2 s clips each, so two batches of 4 (the long-GOP files when the
    # throughput sets were not built)
    files = _group_paths(specs, paths, ("t720",))[:4] or _group_paths(specs, paths, ("long_gop",))
    result = training_step(files, device="gpu")
    report.training = result
    report.add(
        "gpu training step",
        not result["problems"],
        f"x3d_s, {result['steps']} steps of {result['batch_shape']} on {result['batch_device']}: "
        f"{result['step_seconds']} s, losses {result['losses']}"
        + (f"; {result['problems']}" if result["problems"] else ""),
    )


def throughput(
    report: GpuCheckReport,
    name: str,
    group: str,
    specs: Sequence[FixtureSpec],
    paths: dict[str, Path],
    index: Any,
    deadline: Any,
) -> None:
    """Clips/s of one throughput set against the decode-only ceiling and PyTorchVideo."""
    from fastvid.gpu_check._throughput import measure_dataset

    groups = ("long_gop", "t1080") if group == "t1080" else (group,)
    files = [paths[s.name] for s in specs if s.group in groups and s.size[1] in (1080, 720)]
    if deadline.left() < 30:
        report.add(f"gpu throughput {name}", None, "skipped: the check's time budget ran out")
        return
    result = measure_dataset(name, files, index, deadline)
    report.throughput[name] = result
    rows = result["rows"]
    parts = []
    for row in ("fastvid", "nvdec_ceiling", "pytorchvideo"):
        r = rows.get(row, {})
        steady = r.get("steady_clips_per_s")
        parts.append(
            f"{row} {steady:.1f} clips/s" if steady else f"{row} {r.get('note', 'no number')}"
        )
    ratios = ", ".join(f"{k} {v:.2f}" for k, v in result["ratios"].items() if "steady" in k)
    report.add(
        f"gpu throughput {name}",
        not result["errors"],
        "; ".join(parts) + (f"; {ratios}" if ratios else "") + f" ({len(files)} videos)",
    )
