"""The check, phase by phase, and the ``fastvid gpu-check`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from fastvid.gpu_check._compare import (
    TOLERANCE,
    ClipRecord,
    compare,
    compare_runs,
    damaged_clips,
    damaged_problems,
    make_loader,
    reference_problems,
)
from fastvid.gpu_check._fixtures import (
    FixtureSpec,
    Profile,
    av1_encoder,
    build_fixtures,
    describe,
    fixture_specs,
)
from fastvid.gpu_check._report import UNTESTED, GpuCheckReport, machine_info

__all__ = ["DEFAULT_OUT", "main", "run_gpu_check"]

DEFAULT_OUT = Path("benchmarks") / "results" / "gpu"
DEFAULT_BUDGET_S = 390.0
STEPS = ("compare", "train", "throughput")


def _gpu_reason() -> str | None:
    from fastvid.reader.device import gpu_unusable_reason

    return gpu_unusable_reason()


def _guard(report: GpuCheckReport, name: str, work: Callable[[], Any]) -> Any:
    """Run one step; an exception becomes a FAIL line (the remaining steps still run)."""
    try:
        return work()
    except Exception as exc:
        last = traceback.format_exc().strip().splitlines()[-3:]
        report.add(name, False, f"{type(exc).__name__}: {exc}"[:600] + " | " + " / ".join(last))
        return None


def run_gpu_check(
    workdir: str | os.PathLike[str] | None = None,
    *,
    profile: Profile = "full",
    budget_seconds: float = DEFAULT_BUDGET_S,
    skip: Sequence[str] = (),
    out: str | os.PathLike[str] | None = None,
) -> GpuCheckReport:
    """Run the check and return its report (see :mod:`fastvid.gpu_check`).

    Args:
        workdir: Where the fixtures are written (and reused). Default: a temporary folder.
        profile: ``"full"`` (the GPU machine) or ``"quick"`` (small fixtures, for tests).
            Default: ``"full"``.
        budget_seconds: The throughput phase stops measuring once the whole check has run
            this long (correctness checks always run). Default: 390.
        skip: GPU steps to leave out: ``"compare"``, ``"train"``, ``"throughput"``.
            Default: none.
        out: Write ``<device>.json|md`` here after every phase (so a run stopped by a time
            limit keeps what it found). Default: ``None``, not written.
    """
    started = time.perf_counter()
    from fastvid.gpu_check._throughput import Deadline

    deadline = Deadline(budget_seconds)
    report = GpuCheckReport(machine_info(), _gpu_reason())
    report.autosave = os.fspath(out) if out is not None else None
    gpu = report.gpu_reason is None
    if av1_encoder() is None:
        report.notes.append("AV1 not checked: this PyAV has no libsvtav1 encoder")
    with tempfile.TemporaryDirectory(prefix="fastvid-gpu-check-") as scratch:
        folder = Path(workdir) if workdir is not None else Path(scratch)
        specs = fixture_specs(profile, throughput=gpu and "throughput" not in skip)
        with report.phase("fixtures"):
            paths = build_fixtures(specs, folder / "videos")
            report.add(
                "cpu fixtures",
                True,
                f"{len(specs)} videos in {time.perf_counter() - started:.1f} s on "
                f"{os.cpu_count()} cores",
            )
        with report.phase("index"):
            index = _guard(report, "cpu index", lambda: _index(report, specs, paths))
        if index is None:
            return report
        with report.phase("routing dry run"):
            _guard(report, "cpu routing dry run", lambda: _dry_run(report, specs, paths, index))
        runs = compare_runs(specs)
        references: dict[str, list[ClipRecord]] = {}
        with report.phase("cpu reference"):
            for run in runs:
                records = _guard(
                    report,
                    f"cpu {run.name}",
                    partial(_reference, report, run, specs, paths, index, keep=gpu),
                )
                if records is not None:
                    references[run.name] = records
        if not gpu:
            report.add("gpu half", None, f"skipped: {report.gpu_reason} ({UNTESTED})")
            return report
        if "compare" not in skip:
            with report.phase("gpu compare"):
                for run in runs:
                    if run.name in references:
                        _guard(
                            report,
                            f"gpu {run.name}",
                            partial(
                                _gpu_compare, report, run, specs, paths, index, references[run.name]
                            ),
                        )
        references.clear()
        if "train" not in skip:
            with report.phase("training step"):
                _guard(report, "gpu training step", lambda: _train(report, specs, paths))
        if "throughput" not in skip:
            with report.phase("throughput"):
                for name, group in (("h264-1080p-gop250", "t1080"), ("h264-720p-gop60", "t720")):
                    _guard(
                        report,
                        f"gpu throughput {name}",
                        partial(_throughput, report, name, group, specs, paths, index, deadline),
                    )
    return report


def _index(report: GpuCheckReport, specs: Sequence[FixtureSpec], paths: dict[str, Path]) -> Any:
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


def _dry_run(
    report: GpuCheckReport, specs: Sequence[FixtureSpec], paths: dict[str, Path], index: Any
) -> None:
    from fastvid.reader.routing import route_videos

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


def _reference(
    report: GpuCheckReport,
    run: Any,
    specs: Sequence[FixtureSpec],
    paths: dict[str, Path],
    index: Any,
    *,
    keep: bool,
) -> list[ClipRecord]:
    from fastvid.gpu_check._compare import collect

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


def _gpu_compare(
    report: GpuCheckReport,
    run: Any,
    specs: Sequence[FixtureSpec],
    paths: dict[str, Path],
    index: Any,
    reference: list[ClipRecord],
) -> None:
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


def _train(report: GpuCheckReport, specs: Sequence[FixtureSpec], paths: dict[str, Path]) -> None:
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


def _throughput(
    report: GpuCheckReport,
    name: str,
    group: str,
    specs: Sequence[FixtureSpec],
    paths: dict[str, Path],
    index: Any,
    deadline: Any,
) -> None:
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


def main(argv: Sequence[str] | None = None) -> int:
    """``fastvid gpu-check`` / ``python -m fastvid.gpu_check``; exit 1 on any mismatch."""
    parser = argparse.ArgumentParser(
        prog="fastvid gpu-check",
        description="Compare ClipLoader(device='gpu') with the CPU path clip by clip, train "
        "one X3D-S step on GPU batches and measure throughput; without CUDA, run the CPU "
        "half (fixtures, CPU reference, routing dry run) and say the GPU half was skipped.",
    )
    parser.add_argument(
        "--out",
        help=f"write <device>.json and <device>.md here (default: {DEFAULT_OUT} when the GPU "
        "half ran; nothing is written otherwise)",
    )
    parser.add_argument("--json", help="also write the report as JSON to this file")
    parser.add_argument("--workdir", help="keep the fixtures here (reused by the next run)")
    parser.add_argument(
        "--quick", action="store_true", help="small fixtures (tests; no throughput sets)"
    )
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=DEFAULT_BUDGET_S,
        help="stop the throughput measurements once the check has run this long",
    )
    parser.add_argument(
        "--skip", default="", help=f"comma-separated GPU steps to leave out: {', '.join(STEPS)}"
    )
    args = parser.parse_args(argv)
    skip = [s for s in args.skip.split(",") if s]
    unknown = sorted(set(skip) - set(STEPS))
    if unknown:
        parser.error(f"--skip {unknown}: choose from {', '.join(STEPS)}")
    out = args.out or (str(DEFAULT_OUT) if _gpu_reason() is None else None)
    report = run_gpu_check(
        args.workdir,
        profile="quick" if args.quick else "full",
        budget_seconds=args.budget_seconds,
        skip=skip,
        out=out,
    )
    print(report.text())
    if out is not None:
        for path in report.write(out):
            print(f"wrote {path}")
    else:
        print(f"nothing written to {DEFAULT_OUT}: the GPU half did not run (--out DIR writes)")
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n")
    sys.stdout.flush()
    return 0 if report.ok else 1
