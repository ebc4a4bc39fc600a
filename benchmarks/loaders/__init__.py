"""The loader rows and the harness that times them.

Every row reads the same files and loads the same clips, planned once per (dataset, clip
sampler) pair, and is timed over a warm-up pass and a measured pass. One module per job, in the
order the data flows:

* :mod:`~benchmarks.loaders.workload`: the seed config, the clip samplers and the planned
  :class:`Workload` every row loads;
* :mod:`~benchmarks.loaders.harness`: :func:`measure` (two passes, throughput, CPU time,
  memory), :class:`RowResult` and the checks that a row loaded the planned clips;
* the rows: :mod:`~benchmarks.loaders.pytorchvideo_rows` (PyTorchVideo),
  :mod:`~benchmarks.loaders.frame_decoders` (torchcodec, decord),
  :mod:`~benchmarks.loaders.ceiling` (decode-only PyAV and DALI),
  :mod:`~benchmarks.loaders.fastvid_rows` (fastvid's ``ClipLoader``);
* :mod:`~benchmarks.loaders.jobs`: which rows run for a workload (:func:`row_jobs`), and
  running one (:func:`run_job`).
"""

from benchmarks.loaders.ceiling import PyAVCeiling
from benchmarks.loaders.fastvid_rows import fastvid_batches
from benchmarks.loaders.frame_decoders import DecordClips, TorchcodecClips
from benchmarks.loaders.harness import MemorySampler, RowResult, measure
from benchmarks.loaders.harness import _check_same_clips as _check_same_clips
from benchmarks.loaders.jobs import (
    ROW_NAMES,
    RowJob,
    cuda_reason,
    ptv_worker_counts,
    row_jobs,
    run_job,
)
from benchmarks.loaders.jobs import _available as _available
from benchmarks.loaders.pytorchvideo_rows import PlannedClipSampler
from benchmarks.loaders.workload import (
    CLIPS_PER_VIDEO,
    SAMPLER_NAMES,
    SEED_CONFIG,
    Workload,
    make_workload,
    sampler_args,
)

__all__ = [
    "CLIPS_PER_VIDEO",
    "ROW_NAMES",
    "SAMPLER_NAMES",
    "SEED_CONFIG",
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
