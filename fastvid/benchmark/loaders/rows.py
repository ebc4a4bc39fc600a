"""The rows: one loader configuration each, skipped with a reason where it cannot run, and
running one.

A builder per loader (:func:`pytorchvideo_job`, :func:`torchcodec_job`, :func:`decord_job`,
:func:`spdl_job`, :func:`fastvid_job`) makes a :class:`RowJob` for a workload; :func:`run_job`
times it with :func:`~fastvid.benchmark.loaders.harness.measure` and catches its failure into
the :class:`~fastvid.benchmark.loaders.harness.RowResult`. ``fastvid bench PATH`` runs one row
per loader; the source tree's suite (``benchmarks/loaders/jobs.py``) sweeps their configs and
adds its ceilings.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch

from fastvid.benchmark.loaders.fastvid_rows import fastvid_batches
from fastvid.benchmark.loaders.frame_decoders import (
    DecordClips,
    TorchcodecClips,
    decoded_clip_batches,
)
from fastvid.benchmark.loaders.harness import RowResult, measure
from fastvid.benchmark.loaders.pytorchvideo_rows import pytorchvideo_batches
from fastvid.benchmark.loaders.spdl_rows import spdl_batches
from fastvid.benchmark.loaders.workload import Workload

__all__ = [
    "PEER_MODULES",
    "RowJob",
    "available",
    "cuda_reason",
    "decord_job",
    "fastvid_job",
    "pytorchvideo_job",
    "run_job",
    "spdl_job",
    "torchcodec_job",
]

# The module each peer loader needs: a row whose module does not import is skipped with why.
PEER_MODULES = {
    "pytorchvideo": "pytorchvideo.data",
    "torchcodec": "torchcodec.decoders",
    "decord": "decord",
    "spdl": "spdl.io",
}


@dataclass
class RowJob:
    """One row to run: what it is, and the iterator factory that runs it."""

    row: str
    device: str
    config: str
    description: str
    run: Callable[[], Iterator[int | None]]
    params: dict[str, Any] = field(default_factory=dict)
    skip_reason: str = ""
    work: Workload | None = None  # when the row loads other clips than the dataset's workload


def available(module: str) -> str:
    """'' if ``module`` imports, else why not."""
    try:
        __import__(module)
    except Exception as exc:
        return f"{module} is not usable here ({type(exc).__name__}: {str(exc)[:200]})"
    return ""


def cuda_reason() -> str:
    """'' if a CUDA device is usable, else why not."""
    try:
        if torch.cuda.is_available() and torch.cuda.device_count() > 0:
            return ""
    except Exception as exc:
        return f"CUDA check failed: {exc}"
    return "no CUDA device (torch.cuda.is_available() is False): GPU rows are not measured"


def pytorchvideo_job(work: Workload, *, num_workers: int) -> RowJob:
    """PyTorchVideo ``LabeledVideoDataset`` + PyAV + ``DataLoader(num_workers)`` on ``work``."""
    return RowJob(
        "pytorchvideo",
        "cpu",
        f"num_workers={num_workers}",
        "PyTorchVideo LabeledVideoDataset + PyAV + DataLoader",
        partial(pytorchvideo_batches, work, num_workers=num_workers),
        {"num_workers": num_workers},
        available(PEER_MODULES["pytorchvideo"]),
        work=work,
    )


def torchcodec_job(
    work: Workload, *, num_workers: int, threads: int, device: str = "cpu"
) -> RowJob:
    """torchcodec ``get_frames_at`` the planned frames, torch transforms, in a ``DataLoader``."""
    reason = available(PEER_MODULES["torchcodec"])
    if device == "cpu":
        return RowJob(
            "torchcodec",
            "cpu",
            f"num_workers={num_workers},ffmpeg_threads={threads or 'auto'}",
            "torchcodec VideoDecoder.get_frames_at(planned frames) + torch transforms",
            partial(
                decoded_clip_batches,
                work,
                TorchcodecClips(device="cpu", threads=threads),
                num_workers=num_workers,
                row="torchcodec",
            ),
            {"num_workers": num_workers, "num_ffmpeg_threads": threads},
            reason,
        )
    return RowJob(
        "torchcodec",
        "gpu",
        f"cuda,num_workers={num_workers}",
        "torchcodec VideoDecoder(device='cuda').get_frames_at + torch transforms on GPU",
        partial(
            decoded_clip_batches,
            work,
            TorchcodecClips(device="cuda", threads=threads),
            num_workers=num_workers,
            row="torchcodec",
            device="cuda",
        ),
        {"num_workers": num_workers},
        reason or cuda_reason(),
    )


def decord_job(work: Workload, *, num_workers: int, threads: int) -> RowJob:
    """decord ``get_batch`` the planned frames, torch transforms, in a ``DataLoader``."""
    return RowJob(
        "decord",
        "cpu",
        f"num_workers={num_workers},threads={threads or 'auto'}",
        "decord VideoReader.get_batch(planned frames) + torch transforms",
        partial(
            decoded_clip_batches,
            work,
            DecordClips(threads=threads),
            num_workers=num_workers,
            row="decord",
        ),
        {"num_workers": num_workers, "threads": threads},
        available(PEER_MODULES["decord"]),
    )


def spdl_job(work: Workload, *, filter_graph: bool = False) -> RowJob:
    """SPDL's pipeline: ``spdl`` (RGB frames + the exact torch transforms) or
    ``spdl_filtergraph`` (the augmentation as an FFmpeg filter graph)."""
    name = "spdl_filtergraph" if filter_graph else "spdl"
    what = (
        "the augmentation as an FFmpeg filter graph"
        if filter_graph
        else "RGB frames + the exact torch transforms"
    )
    return RowJob(
        name,
        "cpu",
        "threads=2,concurrency=2",
        f"SPDL 0.8 demux_video + sample_decode_video(planned frames), {what}",
        partial(spdl_batches, work, filter_graph=filter_graph),
        {"filter_graph": filter_graph},
        available(PEER_MODULES["spdl"]),
    )


def fastvid_job(
    work: Workload,
    *,
    device: str,
    cpu_decoder: str = "auto",
    num_workers: int | None = None,
    config: str | None = None,
    memory_format: str = "contiguous_format",
) -> RowJob:
    """fastvid ``ClipLoader(device=device)``; its params receive the engine's numbers and the
    decoder route of every file (``routes``).

    Args:
        work: The workload.
        device: ``"cpu"``, ``"gpu"`` or ``"auto"`` (the GPU when there is one).
        cpu_decoder: ``ClipLoader``'s ``cpu_decoder``. Default: ``"auto"``.
        num_workers: ``ClipLoader``'s ``num_workers``. Default: ``None``, fastvid's choice.
        config: The row's config text. Default: from the arguments.
        memory_format: ``ClipLoader``'s ``memory_format`` (its name). Default:
            ``"contiguous_format"``.
    """
    no_cuda = cuda_reason()
    row_device = ("cpu" if no_cuda else "gpu") if device == "auto" else device
    suffix = "" if num_workers is None else f",num_workers={num_workers}"
    if memory_format != "contiguous_format":
        suffix += f",memory_format={memory_format}"
    if row_device == "gpu":
        text = config or f"nvdec{suffix}"
        description = "fastvid ClipLoader(device='gpu'): NVDEC decode + DALI GPU transforms"
        report: dict[str, Any] = {"num_workers": num_workers}
    else:
        text = config or f"cpu_decoder={cpu_decoder}{suffix}"
        description = f"fastvid ClipLoader(device='cpu', cpu_decoder='{cpu_decoder}')"
        report = {"cpu_decoder": cpu_decoder, "num_workers": num_workers}
    report["memory_format"] = memory_format
    return RowJob(
        "fastvid",
        row_device,
        text,
        description,
        partial(
            fastvid_batches,
            work,
            device=row_device,
            cpu_decoder=cpu_decoder,
            num_workers=num_workers,
            memory_format=memory_format,
            report=report,
        ),
        report,
        no_cuda if row_device == "gpu" else "",
    )


def run_job(job: RowJob, work: Workload) -> RowResult:
    """Run one job, catching failures into the result (a failed row never stops a run)."""
    target = job.work or work
    result = RowResult(
        work.name,
        job.row,
        job.device,
        job.config,
        sampler=work.sampler,
        gop=work.gop,
        description=job.description,
        params=dict(job.params),
    )
    if job.skip_reason:
        result.status, result.reason = "skipped", job.skip_reason
        return result
    if job.device == "gpu":
        torch.cuda.empty_cache()  # memory cached by earlier rows would hide this row's peak
    batches = job.run()
    try:
        measure(batches, result, frames_per_clip=target.frames_per_clip, gpu=job.device == "gpu")
    except Exception as exc:
        result.status = "failed"
        result.reason = f"{type(exc).__name__}: {str(exc).strip()[:500]}"
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # a failed row shuts its loader and workers down before the next row
        gc.collect()
        result.params = dict(job.params)  # a row may add what it measured (fastvid's engine)
    if result.status == "ok" and result.clips != target.num_clips:
        result.status = "failed"
        result.reason = f"produced {result.clips} clips, the plan has {target.num_clips}"
    return result
