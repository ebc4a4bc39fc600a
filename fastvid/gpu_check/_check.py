"""The check, phase by phase: :func:`run_gpu_check` runs each phase and guards its steps."""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from fastvid.gpu_check._collect import ClipRecord
from fastvid.gpu_check._fixtures import Profile, av1_encoder, build_fixtures, fixture_specs
from fastvid.gpu_check._phases import (
    build_index,
    cpu_reference,
    dry_run,
    gpu_compare,
    throughput,
    train_step,
)
from fastvid.gpu_check._report import UNTESTED, GpuCheckReport, machine_info
from fastvid.gpu_check._runs import compare_runs

__all__ = ["DEFAULT_BUDGET_S", "STEPS", "run_gpu_check"]

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
            index = _guard(report, "cpu index", lambda: build_index(report, specs, paths))
        if index is None:
            return report
        with report.phase("routing dry run"):
            _guard(report, "cpu routing dry run", lambda: dry_run(report, specs, paths, index))
        runs = compare_runs(specs)
        references: dict[str, list[ClipRecord]] = {}
        with report.phase("cpu reference"):
            for run in runs:
                records = _guard(
                    report,
                    f"cpu {run.name}",
                    partial(cpu_reference, report, run, specs, paths, index, keep=gpu),
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
                                gpu_compare, report, run, specs, paths, index, references[run.name]
                            ),
                        )
        references.clear()
        if "train" not in skip:
            with report.phase("training step"):
                _guard(report, "gpu training step", lambda: train_step(report, specs, paths))
        if "throughput" not in skip:
            with report.phase("throughput"):
                for name, group in (("h264-1080p-gop250", "t1080"), ("h264-720p-gop60", "t720")):
                    _guard(
                        report,
                        f"gpu throughput {name}",
                        partial(throughput, report, name, group, specs, paths, index, deadline),
                    )
    return report
