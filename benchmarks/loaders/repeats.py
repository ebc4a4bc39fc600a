"""Repeated measurements of one row: the median run, with every run's numbers kept."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from fastvid.benchmark.loaders.harness import RowResult

__all__ = ["median_result"]


def median_result(runs: Sequence[RowResult]) -> RowResult:
    """The run with the median clips/s of ``runs`` (the same row measured several times).

    Its ``params["repeats"]`` lists every run's clips/s and CPU s/clip, in order. A row that
    failed in any run is reported as that failed run.
    """
    if not runs:
        raise ValueError("runs is empty: measure the row at least once")
    failed = [r for r in runs if r.status != "ok" or not r.clips_per_s]
    if failed or len(runs) == 1:
        return failed[0] if failed else runs[0]
    ordered = sorted(runs, key=lambda r: r.clips_per_s or 0.0)
    middle = ordered[(len(ordered) - 1) // 2]  # the lower median: an actual run
    middle.params["repeats"] = {
        "clips_per_s": [round(r.clips_per_s or 0.0, 3) for r in runs],
        "cpu_s_per_clip": [round(r.cpu_s_per_clip or 0.0, 4) for r in runs],
        "median_clips_per_s": round(statistics.median(r.clips_per_s or 0.0 for r in runs), 3),
    }
    return middle
