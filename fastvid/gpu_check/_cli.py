"""The ``fastvid gpu-check`` command line: arguments, the run, the printed and written report."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from fastvid.gpu_check._check import DEFAULT_BUDGET_S, STEPS, _gpu_reason, run_gpu_check

__all__ = ["DEFAULT_OUT", "main"]

DEFAULT_OUT = Path("benchmarks") / "results" / "gpu"


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
