"""Clips per second on the GPU: fastvid, the NVDEC decode-only ceiling, PyTorchVideo.

One dataset (16 x 10 s H.264 at 1080p or 720p), the seed configuration (uniform 2 s clips, 8
frames, short side 256-320, crop 244, flip), batches of 8, every row on the same machine in the
same process, so the ratios compare like with like:

* ``fastvid``: ``ClipLoader(device="gpu")``, batches on the GPU. ``setup_s`` is indexing-free
  start-up (routing with its NVDEC proof); ``first_batch_s`` runs from the first ``iter`` (worker
  start, DALI graph build, the first clips); epoch 0 is the cold epoch, epochs 1.. the steady
  state (the workers and graphs persist, as in training).
* ``nvdec_ceiling``: DALI's mixed decoder alone, fed the GOP-range cuts fastvid's workers would
  make (cut beforehand, not timed), batches of 8, the same DALI threads; output is the decoded
  full-size frames (cast to float, nothing else). The graph is built before timing.
* ``pytorchvideo``: ``LabeledVideoDataset`` + PyAV + ``DataLoader(num_workers=all cores,
  persistent_workers=True, pin_memory=True)``, the batch moved to the GPU (what training does).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

if TYPE_CHECKING:
    from fastvid.reader import ClipLoader

__all__ = ["Deadline", "measure_dataset"]

BATCH_SIZE = 8
CLIP_SECONDS = 2.0


class Deadline:
    """Seconds left of the check's budget."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.perf_counter() + seconds

    def left(self) -> float:
        return self.ends - time.perf_counter()


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _timed_passes(
    one_pass: Callable[[int], Iterator[int]],
    passes: int,
    deadline: Deadline,
    min_left: float = 5.0,
) -> tuple[dict[str, Any], float | None]:
    """Pass 0 cold, passes 1.. steady; stops early on the deadline.

    ``one_pass(number)`` runs pass ``number``, yielding each batch's clip count as the batch
    arrives. Returns the row and the seconds pass 0 took to its first batch (``None``: none).
    """
    times: list[float] = []
    clips: list[int] = []
    first_batch: float | None = None
    for number in range(passes):
        if number >= 2 and deadline.left() < min_left:
            break
        began = time.perf_counter()
        count = 0
        for batch_clips in one_pass(number):
            count += batch_clips
            if number == 0 and first_batch is None:
                _sync()
                first_batch = time.perf_counter() - began
        clips.append(count)
        _sync()
        times.append(time.perf_counter() - began)
    row: dict[str, Any] = {
        "passes": len(times),
        "pass_seconds": [round(t, 3) for t in times],
        "pass_clips": clips,
        "first_epoch_clips_per_s": clips[0] / times[0] if times and times[0] else None,
    }
    if len(times) > 1:
        row["steady_clips_per_s"] = sum(clips[1:]) / sum(times[1:])
    return row, first_batch


def _seed_loader(
    pairs: list[tuple[str, int]], index: Any, *, device: str, **options: Any
) -> ClipLoader:
    """``ClipLoader`` with the seed configuration: what the fastvid row loads and plans."""
    from torch.utils.data import SequentialSampler

    from fastvid.data.samplers import make_clip_sampler
    from fastvid.gpu_check._runs import seed_transform
    from fastvid.reader import ClipLoader

    return ClipLoader(
        pairs,
        clip_sampler=make_clip_sampler("uniform", CLIP_SECONDS),
        transform=seed_transform(),
        batch_size=BATCH_SIZE,
        video_sampler=SequentialSampler,
        device=device,
        index=index,
        progress=False,
        seed=0,
        **options,
    )


def fastvid_row(
    pairs: list[tuple[str, int]], index: Any, deadline: Deadline, *, device: str = "gpu"
) -> dict[str, Any]:
    """``ClipLoader(device=device)`` with the seed transform."""
    from fastvid.gpu_check._collect import TASK_TIMEOUT_S

    loader = _seed_loader(pairs, index, device=device, task_timeout=TASK_TIMEOUT_S)
    began = time.perf_counter()
    loader.setup()
    setup = time.perf_counter() - began
    devices: set[str] = set()

    def one_pass(epoch: int) -> Iterator[int]:
        loader.set_epoch(epoch)
        for batch in loader:
            if batch:
                devices.add(batch["video"].device.type)
                yield len(batch["video_name"])

    try:
        row, first_batch = _timed_passes(one_pass, 3, deadline)
        stats = loader.last_epoch_stats
        row.update(
            setup_s=round(setup, 3),
            first_batch_s=first_batch,
            batch_devices=sorted(devices),
            budget=asdict(loader.budget),
            routing=loader.routing.summary(),
            last_epoch_stats=asdict(stats) if stats is not None else None,
            skipped=[f"{s.path}: {s.reason}" for s in loader.skipped][:5],
        )
        if row["last_epoch_stats"]:
            row["last_epoch_stats"].pop("decoded_by_video", None)
        return row
    finally:
        loader.close()


def ceiling_row(
    plan: Sequence[Any],
    index: Any,
    dali_threads: int,
    deadline: Deadline,
    *,
    device: Literal["cpu", "gpu"] = "gpu",
) -> dict[str, Any]:
    """NVDEC decode-only on the plan's GOP-range cuts (cut first, graph built first).

    ``device="cpu"`` runs DALI's CPU decoder instead (VP8/VP9/MJPEG only; for tests).
    """
    from fastvid.reader.dali import ClipPipeline, GraphSpec
    from fastvid.reader.decoding.gop import GopCutter
    from fastvid.reader.planning.frames import output_ranks
    from fastvid.reader.transforms.augment import ChannelAffine

    cutter = GopCutter()
    cuts = []
    began = time.perf_counter()
    try:
        for request in plan:
            meta = index.meta(request.path)
            needed = np.unique(np.asarray(request.frame_indices))
            cuts.append(
                cutter.cut(
                    request.path,
                    needed,
                    pts=meta.pts,
                    keyframes=meta.keyframes,
                    order=output_ranks(meta),
                )
            )
    finally:
        cutter.close()
    cut_seconds = time.perf_counter() - began
    spec = GraphSpec("encoded", (), ChannelAffine(), device, rearrange=False)
    began = time.perf_counter()
    pipe = ClipPipeline(
        spec,
        batch_size=BATCH_SIZE,
        num_threads=dali_threads,
        device_id=torch.cuda.current_device() if device == "gpu" else None,
    )
    build = time.perf_counter() - began
    batches = [cuts[i : i + BATCH_SIZE] for i in range(0, len(cuts), BATCH_SIZE)]
    inputs = [
        {
            "video": [np.frombuffer(c.data, dtype=np.uint8) for c in batch],
            "frames": [c.frames for c in batch],
        }
        for batch in batches
    ]

    def one_pass(number: int) -> Iterator[int]:
        for feed in inputs:
            out = pipe.run(feed)
            yield out.shape[0] if torch.is_tensor(out) else len(out)

    try:
        row, first_batch = _timed_passes(one_pass, 3, deadline)
    finally:
        pipe.close()
    decoded = sum(int(c.frames.max()) + 1 for c in cuts)
    row.update(
        graph_build_s=round(build, 3),
        cut_s=round(cut_seconds, 3),
        first_batch_s=first_batch,
        frames_decoded_per_pass=decoded,
        cut_packets_per_pass=sum(c.packets for c in cuts),
        note="decode + cast only; graph build and cutting not timed",
    )
    steady = row.get("steady_clips_per_s")
    if steady:
        row["decoded_frames_per_s"] = steady * decoded / len(cuts)
    return row


def pytorchvideo_row(
    pairs: list[tuple[str, int]], deadline: Deadline, *, device: str = "gpu"
) -> dict[str, Any]:
    """PyTorchVideo's loader with all cores, batches moved to the GPU."""
    from pytorchvideo.data import LabeledVideoDataset
    from pytorchvideo.data import make_clip_sampler as pv_make_clip_sampler
    from torch.utils.data import DataLoader, SequentialSampler

    from fastvid.gpu_check._runs import seed_transform

    workers = os.cpu_count() or 1
    dataset = LabeledVideoDataset(
        [(path, {"label": label}) for path, label in pairs],
        clip_sampler=pv_make_clip_sampler("uniform", CLIP_SECONDS),
        video_sampler=SequentialSampler,
        transform=seed_transform(),
        decode_audio=False,
        decoder="pyav",
    )
    loader = DataLoader(
        dataset,
        batch_size=BATCH_SIZE,
        num_workers=workers,
        persistent_workers=True,
        pin_memory=device == "gpu",
    )
    target = torch.device("cuda" if device == "gpu" else "cpu")

    def one_pass(number: int) -> Iterator[int]:
        for batch in loader:
            yield int(batch["video"].to(target, non_blocking=True).shape[0])

    try:
        row, first_batch = _timed_passes(one_pass, 2, deadline, min_left=30.0)
    finally:
        iterator = getattr(loader, "_iterator", None)
        if iterator is not None:  # persistent workers: stop them now, not at garbage collection
            iterator._shutdown_workers()
    row.update(
        workers=workers,
        first_batch_s=first_batch,
        note="first batch includes starting the workers (fork)",
    )
    return row


def measure_dataset(
    name: str,
    paths: Sequence[Path],
    index: Any,
    deadline: Deadline,
    *,
    device: Literal["cpu", "gpu"] = "gpu",
) -> dict[str, Any]:
    """Every row on one dataset, and the ratios (fastvid / ceiling, fastvid / PyTorchVideo).

    ``device="cpu"`` runs the same rows on the CPU (the ceiling with DALI's CPU decoder: VP8,
    VP9 or MJPEG files only); the tests use it, the GPU machine does not.
    """
    pairs = [(os.fspath(p), i % 4) for i, p in enumerate(paths)]
    rows: dict[str, Any] = {}
    errors: dict[str, str] = {}
    # PyTorchVideo first: its DataLoader forks, best before this dataset's DALI threads exist
    for row_name, run in (
        ("pytorchvideo", lambda: pytorchvideo_row(pairs, deadline, device=device)),
        ("fastvid", lambda: fastvid_row(pairs, index, deadline, device=device)),
    ):
        if deadline.left() < 20:
            rows[row_name] = {"note": "skipped: the check's time budget ran out"}
            continue
        try:
            rows[row_name] = run()
        except Exception as exc:
            errors[row_name] = f"{type(exc).__name__}: {exc}"[:500]
            rows[row_name] = {"note": f"failed: {errors[row_name]}"}
    if deadline.left() >= 10:
        try:
            threads = rows.get("fastvid", {}).get("budget", {}).get("dali_threads")
            plan = _plan(pairs, index)
            rows["nvdec_ceiling"] = ceiling_row(
                plan, index, threads or _dali_threads(), deadline, device=device
            )
        except Exception as exc:
            errors["nvdec_ceiling"] = f"{type(exc).__name__}: {exc}"[:500]
            rows["nvdec_ceiling"] = {"note": f"failed: {errors['nvdec_ceiling']}"}
    else:
        rows["nvdec_ceiling"] = {"note": "skipped: the check's time budget ran out"}
    ratios: dict[str, float] = {}
    mine = rows.get("fastvid", {})
    for other in ("nvdec_ceiling", "pytorchvideo"):
        theirs = rows.get(other, {})
        for kind in ("steady_clips_per_s", "first_epoch_clips_per_s"):
            if mine.get(kind) and theirs.get(kind):
                ratios[f"fastvid / {other} ({kind.split('_clips')[0]})"] = mine[kind] / theirs[kind]
    return {"dataset": name, "videos": len(paths), "rows": rows, "ratios": ratios, "errors": errors}


def _dali_threads() -> int:
    """The DALI threads a GPU loader would use here (when the fastvid row did not run)."""
    from fastvid.reader.decoding.routing import Routing
    from fastvid.reader.workers.budget import choose_budget

    return choose_budget("gpu", [], Routing({}, {}, "nvdec")).dali_threads


def _plan(pairs: list[tuple[str, int]], index: Any) -> Sequence[Any]:
    """The clips fastvid's steady epochs load (uniform clips, videos in order: every epoch)."""
    # device="cpu": planning only, no workers start, no graph is built.
    return _seed_loader(pairs, index, device="cpu").plan(1)
