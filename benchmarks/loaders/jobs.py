"""The jobs: which rows (loader configurations) run for a workload, and running one.

:func:`row_jobs` lists a workload's rows in run order, each skipped with a reason where its
library or CUDA is missing; :func:`run_job` times one with
:func:`~benchmarks.loaders.harness.measure` and catches its failure into the
:class:`~benchmarks.loaders.harness.RowResult`.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch

from benchmarks.loaders.ceiling import _ceiling_in_process, _ceiling_processes, _dali_decode_only
from benchmarks.loaders.fastvid_rows import fastvid_batches
from benchmarks.loaders.frame_decoders import DecordClips, TorchcodecClips, decoded_clip_batches
from benchmarks.loaders.harness import RowResult, measure
from benchmarks.loaders.pytorchvideo_rows import pytorchvideo_batches
from benchmarks.loaders.spdl_rows import spdl_batches
from benchmarks.loaders.strict_ceiling import strict_ceiling_batches
from benchmarks.loaders.workload import SEED_CONFIG, Workload

__all__ = ["ROW_NAMES", "RowJob", "cuda_reason", "ptv_worker_counts", "row_jobs", "run_job"]


# Rows in the order they run within a dataset. PyTorchVideo and the DataLoader-based rows fork
# their workers, so they run before anything starts DALI threads in this process.
ROW_NAMES = (
    "pytorchvideo",
    "torchcodec",
    "decord",
    "spdl",
    "spdl_filtergraph",
    "ceiling",
    "strict_ceiling",
    "fastvid",
)


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


def _available(module: str) -> str:
    """'' if ``module`` imports, else why not."""
    try:
        __import__(module)
    except Exception as exc:
        return f"{module} is not usable here ({type(exc).__name__}: {str(exc)[:200]})"
    return ""


def _fastvid_cpu_decoders(codec: str, vp9_decoders: Sequence[str]) -> list[str]:
    """fastvid's CPU decoders for ``codec``: DALI's CPU decoder only reads VP8/VP9/MJPEG."""
    if codec in ("vp8", "vp9", "mjpeg"):
        return list(vp9_decoders)
    return ["pyav"]


def cuda_reason() -> str:
    """'' if a CUDA device is usable, else why not."""
    try:
        if torch.cuda.is_available() and torch.cuda.device_count() > 0:
            return ""
    except Exception as exc:
        return f"CUDA check failed: {exc}"
    return "no CUDA device (torch.cuda.is_available() is False): GPU rows are not measured"


def ptv_worker_counts(cores: int) -> list[int]:
    """DataLoader worker counts to try for PyTorchVideo: 0, 1, 2, 4, ... and all cores."""
    counts = {0, cores}
    n = 1
    while n < cores:
        counts.add(n)
        n *= 2
    return sorted(counts)


def row_jobs(
    work: Workload,
    *,
    rows: Sequence[str] = ROW_NAMES,
    ptv_workers: Sequence[int],
    cores: int | None = None,
    fastvid_workers: Sequence[int | None] = (None,),
    fastvid_vp9_decoders: Sequence[str] = ("dali",),
    ptv_work: Workload | None = None,
) -> list[RowJob]:
    """The rows to run for one workload, in run order (see :data:`ROW_NAMES`).

    Args:
        work: The workload (dataset and clip sampler).
        rows: Row names to include. Default: all.
        ptv_workers: PyTorchVideo DataLoader worker counts to measure.
        cores: CPU cores for the multi-worker configs. Default: ``os.cpu_count()``.
        fastvid_workers: ``ClipLoader(num_workers=...)`` values, one fastvid config each.
            Default: ``(None,)``, fastvid's default.
        fastvid_vp9_decoders: ``cpu_decoder`` values for VP8/VP9/MJPEG (H.264 and other codecs
            always use ``"pyav"``). Default: ``("dali",)``.
        ptv_work: PyTorchVideo's workload, when it loads fewer clips (it is ~5x slower): the
            first videos of ``work``. Default: ``None``, ``work``.
    """
    cores = cores or os.cpu_count() or 1
    no_cuda = cuda_reason()
    jobs: list[RowJob] = []
    wanted = set(rows)
    if "pytorchvideo" in wanted:
        ptv = ptv_work or work
        for n in ptv_workers:
            jobs.append(
                RowJob(
                    "pytorchvideo",
                    "cpu",
                    f"num_workers={n}",
                    "PyTorchVideo LabeledVideoDataset + PyAV + DataLoader",
                    partial(pytorchvideo_batches, ptv, num_workers=n),
                    {"num_workers": n},
                    work=ptv,
                )
            )
    if "torchcodec" in wanted:
        reason = _available("torchcodec.decoders")
        for workers, threads in ((0, 0), (cores, 1)):
            jobs.append(
                RowJob(
                    "torchcodec",
                    "cpu",
                    f"num_workers={workers},ffmpeg_threads={threads or 'auto'}",
                    "torchcodec VideoDecoder.get_frames_at(8 planned frames) + torch transforms",
                    partial(
                        decoded_clip_batches,
                        work,
                        TorchcodecClips(device="cpu", threads=threads),
                        num_workers=workers,
                        row="torchcodec",
                    ),
                    {"num_workers": workers, "num_ffmpeg_threads": threads},
                    reason,
                )
            )
        jobs.append(
            RowJob(
                "torchcodec",
                "gpu",
                "cuda,num_workers=0",
                "torchcodec VideoDecoder(device='cuda').get_frames_at + torch transforms on GPU",
                lambda: decoded_clip_batches(
                    work,
                    TorchcodecClips(device="cuda", threads=0),
                    num_workers=0,
                    row="torchcodec",
                    device="cuda",
                ),
                {"num_workers": 0},
                reason or no_cuda,
            )
        )
    if "decord" in wanted:
        reason = _available("decord")
        for workers, threads in ((0, 0), (cores, 1)):
            jobs.append(
                RowJob(
                    "decord",
                    "cpu",
                    f"num_workers={workers},threads={threads or 'auto'}",
                    "decord VideoReader.get_batch(8 planned frames) + torch transforms",
                    partial(
                        decoded_clip_batches,
                        work,
                        DecordClips(threads=threads),
                        num_workers=workers,
                        row="decord",
                    ),
                    {"num_workers": workers, "threads": threads},
                    reason,
                )
            )
    for name, filter_graph, what in (
        ("spdl", False, "RGB frames + the seed's exact torch transforms"),
        ("spdl_filtergraph", True, "the seed's augmentation as an FFmpeg filter graph"),
    ):
        if name in wanted:
            jobs.append(
                RowJob(
                    name,
                    "cpu",
                    "threads=2,concurrency=2",
                    f"SPDL 0.8 demux_video + sample_decode_video(planned frames), {what}",
                    partial(spdl_batches, work, filter_graph=filter_graph),
                    {"filter_graph": filter_graph},
                    _available("spdl.io"),
                )
            )
    if "strict_ceiling" in wanted:
        jobs.append(
            RowJob(
                "strict_ceiling",
                "cpu",
                f"pyav,processes={cores}",
                "decode-only: keyframe cut, stop at the last needed frame, skip unneeded "
                f"non-reference frames, no colour conversion; {cores} single-threaded processes",
                partial(strict_ceiling_batches, work, processes=cores),
                {"processes": cores},
            )
        )
    if "ceiling" in wanted:
        jobs.append(
            RowJob(
                "ceiling",
                "cpu",
                "pyav,threads=auto",
                "decode-only: PyAV frame-selective decode of the planned frames to RGB, 1 process",
                lambda: _ceiling_in_process(work, threads=0),
                {"threads": 0},
            )
        )
        jobs.append(
            RowJob(
                "ceiling",
                "cpu",
                f"pyav,processes={cores}",
                f"decode-only: PyAV frame-selective decode, {cores} single-threaded processes",
                lambda: _ceiling_processes(work, processes=cores),
                {"processes": cores},
            )
        )
        if work.codec in ("vp8", "vp9", "mjpeg"):
            jobs.append(
                RowJob(
                    "ceiling",
                    "cpu",
                    "dali-cpu",
                    "decode-only: DALI CPU fn.decoders.video(frames=planned)",
                    lambda: _dali_decode_only(work, device="cpu"),
                    {},
                )
            )
        jobs.append(
            RowJob(
                "ceiling",
                "gpu",
                "dali-nvdec",
                "decode-only: DALI fn.decoders.video(device='mixed', frames=planned) on NVDEC",
                lambda: _dali_decode_only(work, device="gpu"),
                {},
                no_cuda,
            )
        )
    if "fastvid" in wanted:
        decoders = _fastvid_cpu_decoders(work.codec, fastvid_vp9_decoders)
        for count in fastvid_workers:
            suffix = "" if count is None else f",num_workers={count}"
            for cpu_decoder in decoders:
                jobs.append(
                    RowJob(
                        "fastvid",
                        "cpu",
                        f"cpu_decoder={cpu_decoder}{suffix}",
                        f"fastvid ClipLoader(device='cpu', cpu_decoder='{cpu_decoder}')",
                        partial(
                            fastvid_batches,
                            work,
                            device="cpu",
                            cpu_decoder=cpu_decoder,
                            num_workers=count,
                            report=(report := {"cpu_decoder": cpu_decoder, "num_workers": count}),
                        ),
                        report,
                    )
                )
            jobs.append(
                RowJob(
                    "fastvid",
                    "gpu",
                    f"nvdec{suffix}",
                    "fastvid ClipLoader(device='gpu'): NVDEC decode + DALI GPU transforms",
                    partial(
                        fastvid_batches,
                        work,
                        device="gpu",
                        num_workers=count,
                        report=(gpu_report := {"num_workers": count}),
                    ),
                    gpu_report,
                    no_cuda,
                )
            )
    return jobs


def run_job(job: RowJob, work: Workload) -> RowResult:
    """Run one job, catching failures into the result (a failed row never stops the suite)."""
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
        measure(batches, result, frames_per_clip=SEED_CONFIG["num_frames"], gpu=job.device == "gpu")
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
