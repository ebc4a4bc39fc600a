"""``fastvid bench PATH``: fastvid against the other loaders on a sample of the user's videos.

The run, step by step:

1. sample PATH's videos (:mod:`fastvid.benchmark._sample`) and index them; a file fastvid
   cannot index is reported and left out;
2. plan the clips once with fastvid's planner (the user's clip sampler and transforms,
   :class:`~fastvid.benchmark.loaders.ClipConfig`): every loader loads these clips;
3. decode each file's first planned clip with every loader and compare its frames with fastvid's
   (:func:`~fastvid.benchmark.loaders.check_frames`): a file some loader cannot read is reported
   for that loader and left out of the timed run, so every loader times the same clips;
4. time one row per loader (:func:`~fastvid.benchmark.loaders.run_job`: a warm-up pass, then a
   measured pass), peers whose library is missing skipped with the reason;
5. write ``bench.json``, ``bench.md`` and ``bench.png`` (:mod:`fastvid.benchmark.report`), with
   the decoder route fastvid chose for each file (NVDEC, DALI CPU or PyAV).
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from fastvid.benchmark import report
from fastvid.benchmark._options import LOADER_NAMES, FolderBenchOptions, parse_options
from fastvid.benchmark._sample import VideoSample, sample_videos
from fastvid.benchmark.loaders import (
    PEER_MODULES,
    RowJob,
    Workload,
    available,
    check_frames,
    decord_job,
    fastvid_job,
    make_workload,
    pytorchvideo_job,
    run_job,
    spdl_job,
    torchcodec_job,
)

__all__ = ["ROUTE_NAMES", "choose_loaders", "main", "run_folder_bench"]

# fastvid's decoder routes (``fastvid.reader.decoding.routing``) as the report names them
ROUTE_NAMES = {"nvdec": "NVDEC", "dali_cpu": "DALI CPU", "pyav": "PyAV"}

Log = Callable[[str], None]


def choose_loaders(asked: Sequence[str] | None) -> tuple[list[str], dict[str, str]]:
    """The loaders to run (run order, fastvid always last) and the ones skipped, with why.

    Args:
        asked: Loader names; ``None``: every one installed.
    """
    wanted = list(LOADER_NAMES) if asked is None else [*asked, "fastvid"]
    run, skipped = [], {}
    for name in LOADER_NAMES:
        if name not in wanted:
            continue
        reason = available(PEER_MODULES[name]) if name in PEER_MODULES else ""
        if reason:
            skipped[name] = reason
        else:
            run.append(name)
    return run, skipped


def _job(name: str, work: Workload, workers: int | None) -> RowJob:
    """One row per loader; the peers' ``DataLoader`` workers: ``workers`` or all cores."""
    peers = (os.cpu_count() or 1) if workers is None else workers
    threads = 1 if peers else 0  # one FFmpeg thread per worker process, FFmpeg's choice in one
    builders: dict[str, Callable[[], RowJob]] = {
        "pytorchvideo": lambda: pytorchvideo_job(work, num_workers=peers),
        "torchcodec": lambda: torchcodec_job(work, num_workers=peers, threads=threads),
        "decord": lambda: decord_job(work, num_workers=peers, threads=threads),
        "spdl": lambda: spdl_job(work),
        "fastvid": lambda: fastvid_job(work, device="auto", num_workers=workers or None),
    }
    return builders[name]()


def _first_clips(work: Workload) -> list[Any]:
    """Each video's first planned clip."""
    firsts: dict[int, Any] = {}
    for request in work.plan:
        firsts.setdefault(int(request.video_index), request)
    return list(firsts.values())


def _codec(sample: VideoSample) -> str:
    codecs = {sample.index.meta(p).codec for p, _ in sample.pairs}
    return codecs.pop() if len(codecs) == 1 else "mixed"


def _workload(options: FolderBenchOptions, sample: VideoSample, pairs: list) -> Workload:
    return make_workload(
        os.path.basename(os.path.normpath(options.path)) or options.path,
        pairs,
        batch_size=options.batch_size,
        index=sample.index,
        codec=_codec(sample),
        config=options.clip,
        max_clips=options.max_clips,
    )


def _routes(work: Workload, rows: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    """fastvid's decoder per file (and why a file missed the preferred one): from its row, or
    from a loader set up for it when the row failed before reporting them."""
    fast = next((r for r in rows if r["row"] == "fastvid" and "routes" in r["params"]), None)
    if fast is not None:
        return fast["params"]["routes"], fast["params"].get("route_reasons", {})
    from fastvid.benchmark.loaders.workload import fastvid_loader

    loader = fastvid_loader(
        work.pairs,
        index=work.index,
        batch_size=work.batch_size,
        device="auto",
        cpu_decoder="auto",
        num_workers=None,
        config=work.config,
    )
    try:
        return dict(loader.routing.decoders), dict(loader.routing.reasons)
    finally:
        loader.close()


def _videos(
    sample: VideoSample,
    work: Workload | None,
    routes: dict[str, str],
    reasons: dict[str, str],
    unreadable: dict[str, dict[str, str]],
) -> list[dict[str, Any]]:
    clips = Counter(r.path for r in work.plan) if work is not None else Counter()
    out = []
    for path, label in sample.pairs:
        meta = sample.index.meta(path)
        out.append(
            {
                "path": path,
                "label": label,
                "codec": meta.codec,
                "pix_fmt": meta.pix_fmt,
                "size": f"{meta.width}x{meta.height}",
                "fps": round(meta.avg_fps, 3),
                "duration_s": round(float(meta.duration or 0), 3),
                "route": ROUTE_NAMES.get(routes.get(path, ""), "–"),
                "route_reason": reasons.get(path, ""),
                "clips": clips.get(path, 0),
                "unreadable_by": unreadable.get(path, {}),
            }
        )
    for path, why in sample.unreadable.items():
        out.append({"path": path, "route": "–", "clips": 0, "unreadable_by": {"fastvid": why}})
    return out


def run_folder_bench(options: FolderBenchOptions, *, log: Log = print) -> dict[str, Any]:
    """Run ``fastvid bench PATH``; return the report's content (``bench.json``).

    Raises:
        FileNotFoundError: If PATH does not exist.
        ValueError: If PATH holds no readable video.
    """
    start = time.perf_counter()
    names, skipped = choose_loaders(options.loaders)
    for name, why in skipped.items():
        log(f"[bench] {name}: skipped ({why})")
    sample = sample_videos(
        options.path, count=options.sample, minutes=options.minutes, seed=options.seed
    )
    log(
        f"[bench] {options.path} ({sample.layout}, {sample.listed} videos): sampled "
        f"{len(sample.pairs) + len(sample.unreadable)}, {len(sample.unreadable)} unreadable"
    )
    work = _workload(options, sample, sample.pairs)
    checks = check_frames(work, names, clips=_first_clips(work))
    unreadable: dict[str, dict[str, str]] = {}
    for loader, check in checks.items():
        for path, why in check.get("errors", {}).items():
            unreadable.setdefault(path, {})[loader] = why
            log(f"[bench] {loader} cannot read {path}: {why}")
    notes = []
    timed: Workload | None = work
    if unreadable:
        readable = [pair for pair in work.pairs if pair[0] not in unreadable]
        notes.append(
            f"{len(unreadable)} file(s) some loader could not read are left out of the timed "
            "run, so that every loader times the same clips (see Files)"
        )
        timed = _workload(options, sample, readable) if readable else None
    rows: list[dict[str, Any]] = []
    if timed is not None:
        log(
            f"[bench] {timed.num_clips} clips from {timed.num_videos} videos, batches of "
            f"{timed.batch_size}; loaders: {', '.join(names)}"
        )
        for name in names:
            result = run_job(_job(name, timed, options.workers), timed)
            frames = checks.get(name)
            if frames is not None:
                result.params["frame_check"] = frames
            rows.append(result.to_json())
            rate = f"{result.clips_per_s:.2f} clips/s" if result.clips_per_s else "–"
            log(f"[bench] {name} {result.config}: {result.status} {rate} {result.reason}")
    routes, reasons = _routes(timed or work, rows)
    videos = _videos(sample, timed, routes, reasons, unreadable)
    return {
        "path": os.path.abspath(options.path),
        "layout": sample.layout,
        "listed_videos": sample.listed,
        "sample": {"files": options.sample, "minutes": options.minutes, "seed": options.seed},
        "clip_config": options.clip.as_dict(),
        "batch_size": options.batch_size,
        "workers": options.workers,
        "workload": {
            "videos": timed.num_videos if timed else 0,
            "clips": timed.num_clips if timed else 0,
            "frames_per_clip": options.clip.num_frames,
            "minutes": round(sum(v.get("duration_s", 0) for v in videos if v["clips"]) / 60, 3),
        },
        "loaders": {"run": names, "skipped": skipped},
        "videos": videos,
        "route_counts": dict(Counter(v["route"] for v in videos if v["clips"])),
        "rows": rows,
        "ratios": _ratios(rows),
        "notes": notes,
        "total_s": round(time.perf_counter() - start, 2),
    }


def _ratios(rows: list[dict[str, Any]]) -> dict[str, float]:
    """fastvid's clips/s ÷ each other loader's (rows that ran)."""
    fast = next((r for r in rows if r["row"] == "fastvid" and r["clips_per_s"]), None)
    if fast is None:
        return {}
    return {
        r["row"]: round(fast["clips_per_s"] / r["clips_per_s"], 3)
        for r in rows
        if r["row"] != "fastvid" and r["status"] == "ok" and r["clips_per_s"]
    }


def main(argv: Sequence[str]) -> int:
    """``fastvid bench PATH [options]``: run, write the report, print its table.

    Returns:
        0 when the report was written (also when some rows failed or were skipped: it says
        which and why); 2 on bad arguments or a PATH without readable videos.
    """
    try:
        options = parse_options(argv)
    except (FileNotFoundError, ValueError) as error:
        print(f"fastvid bench: {error}", file=sys.stderr)
        return 2
    machine = report.machine_info()
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        payload = run_folder_bench(options)
    except (FileNotFoundError, ValueError) as error:
        print(f"fastvid bench: {error}", file=sys.stderr)
        return 2
    machine["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    payload.update(command="fastvid bench " + " ".join(argv), started=started, machine=machine)
    written = report.write_folder_report(options.out, payload)
    print("\n".join(report.folder_table(payload)))
    print(f"[bench] wrote {', '.join(str(p) for p in written)}")
    return 0
