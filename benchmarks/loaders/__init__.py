"""The suite's loader rows: fastvid's reusable rows and harness, plus the suite's own.

The rows every benchmark shares live in the installed package, :mod:`fastvid.benchmark.loaders`
(the clip config and planned :class:`Workload`, the timing harness, the PyTorchVideo,
torchcodec, decord, SPDL and fastvid rows, the frame check), so that ``fastvid bench PATH`` runs
them without this source tree; they are re-exported here. What only the suite runs stays here:

* :mod:`~benchmarks.loaders.jobs`: which rows run for a suite workload (:func:`row_jobs`: a
  sweep of each loader's configs, and the ceilings);
* :mod:`~benchmarks.loaders.ceiling` (decode-only PyAV and DALI),
  :mod:`~benchmarks.loaders.strict_ceiling` (decode only what clips need, convert nothing);
* :mod:`~benchmarks.loaders.repeats`: the median of repeated measurements.
"""

from benchmarks.loaders.ceiling import PyAVCeiling
from benchmarks.loaders.jobs import ROW_NAMES, ptv_worker_counts, row_jobs
from fastvid.benchmark.loaders import (
    CLIPS_PER_VIDEO,
    SAMPLER_NAMES,
    SEED,
    SEED_CONFIG,
    ClipConfig,
    DecordClips,
    MemorySampler,
    PlannedClipSampler,
    RowJob,
    RowResult,
    TorchcodecClips,
    Workload,
    cuda_reason,
    fastvid_batches,
    make_workload,
    measure,
    run_job,
    sampler_args,
)

__all__ = [
    "CLIPS_PER_VIDEO",
    "ROW_NAMES",
    "SAMPLER_NAMES",
    "SEED",
    "SEED_CONFIG",
    "ClipConfig",
    "DecordClips",
    "MemorySampler",
    "PlannedClipSampler",
    "PyAVCeiling",
    "RowJob",
    "RowResult",
    "TorchcodecClips",
    "Workload",
    "cuda_reason",
    "fastvid_batches",
    "make_workload",
    "measure",
    "ptv_worker_counts",
    "row_jobs",
    "run_job",
    "sampler_args",
]
