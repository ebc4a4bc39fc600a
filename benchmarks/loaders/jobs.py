"""The suite's jobs: which rows (loader configurations) run for a workload.

:func:`row_jobs` lists a workload's rows in run order, each skipped with a reason where its
library or CUDA is missing: the loaders' rows from :mod:`fastvid.benchmark.loaders.rows` (a
sweep of their configs) and the suite's ceilings; :func:`~fastvid.benchmark.loaders.run_job`
times one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial

from benchmarks.loaders.ceiling import _ceiling_in_process, _ceiling_processes, _dali_decode_only
from benchmarks.loaders.strict_ceiling import strict_ceiling_batches
from benchmarks.loaders.transform_ceiling import transform_ceiling_batches
from fastvid.benchmark.loaders.rows import (
    RowJob,
    cuda_reason,
    decord_job,
    fastvid_job,
    pytorchvideo_job,
    spdl_job,
    torchcodec_job,
)
from fastvid.benchmark.loaders.workload import Workload

__all__ = ["ROW_NAMES", "ptv_worker_counts", "row_jobs"]


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
    "transform_ceiling",
    "fastvid",
)


def _fastvid_cpu_decoders(codec: str, vp9_decoders: Sequence[str]) -> list[str]:
    """fastvid's CPU decoders for ``codec``: DALI's CPU decoder only reads VP8/VP9/MJPEG."""
    if codec in ("vp8", "vp9", "mjpeg"):
        return list(vp9_decoders)
    return ["pyav"]


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
    fastvid_memory_formats: Sequence[str] = ("contiguous_format",),
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
        fastvid_memory_formats: ``ClipLoader(memory_format=...)`` names, one fastvid CPU config
            each. Default: ``("contiguous_format",)``.
    """
    cores = cores or os.cpu_count() or 1
    no_cuda = cuda_reason()
    jobs: list[RowJob] = []
    wanted = set(rows)
    if "pytorchvideo" in wanted:
        jobs += [pytorchvideo_job(ptv_work or work, num_workers=n) for n in ptv_workers]
    if "torchcodec" in wanted:
        jobs += [
            torchcodec_job(work, num_workers=workers, threads=threads)
            for workers, threads in ((0, 0), (cores, 1))
        ]
        jobs.append(torchcodec_job(work, num_workers=0, threads=0, device="cuda"))
    if "decord" in wanted:
        jobs += [
            decord_job(work, num_workers=workers, threads=threads)
            for workers, threads in ((0, 0), (cores, 1))
        ]
    jobs += [
        spdl_job(work, filter_graph=name == "spdl_filtergraph")
        for name in ("spdl", "spdl_filtergraph")
        if name in wanted
    ]
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
    if "transform_ceiling" in wanted:
        jobs.append(
            RowJob(
                "transform_ceiling",
                "cpu",
                f"pyav,processes={cores}",
                "the strict ceiling, then RGB conversion and the seed transforms the cheapest "
                "exact way (fastvid's CPU finish) where each clip was decoded; no engine: no "
                f"hand-off, no batching; {cores} single-threaded processes",
                partial(transform_ceiling_batches, work, processes=cores),
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
            jobs += [
                fastvid_job(
                    work, device="cpu", cpu_decoder=decoder, num_workers=count, memory_format=form
                )
                for decoder in decoders
                for form in fastvid_memory_formats
            ]
            jobs.append(fastvid_job(work, device="gpu", num_workers=count))
    return jobs
