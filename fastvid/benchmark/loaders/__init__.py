"""The loader rows and the harness that times them.

Every row reads the same files and loads the same clips, planned once per (file list, clip
config) by fastvid's planner, and is timed over a warm-up pass and a measured pass. One module
per job, in the order the data flows:

* :mod:`~fastvid.benchmark.loaders.workload`: the clip config (:class:`ClipConfig`, the seed's
  :data:`SEED`) and the planned :class:`Workload` every row loads;
* :mod:`~fastvid.benchmark.loaders.harness`: :func:`measure` (two passes, throughput, CPU
  time, memory), :class:`RowResult` and the checks that a row loaded the planned clips;
* the rows: :mod:`~fastvid.benchmark.loaders.pytorchvideo_rows` (PyTorchVideo),
  :mod:`~fastvid.benchmark.loaders.frame_decoders` (torchcodec, decord),
  :mod:`~fastvid.benchmark.loaders.spdl_rows` (SPDL),
  :mod:`~fastvid.benchmark.loaders.fastvid_rows` (fastvid's ``ClipLoader``);
* :mod:`~fastvid.benchmark.loaders.rows`: a :class:`RowJob` per loader configuration (skipped
  with a reason where its library is missing) and :func:`run_job`;
* :mod:`~fastvid.benchmark.loaders.frame_check`: whether each loader returns fastvid's frames.
"""

from fastvid.benchmark.loaders.fastvid_rows import fastvid_batches
from fastvid.benchmark.loaders.frame_check import SAME_FRAME_MAX_DIFF, check_frames
from fastvid.benchmark.loaders.frame_decoders import DecordClips, TorchcodecClips
from fastvid.benchmark.loaders.harness import MemorySampler, RowResult, measure
from fastvid.benchmark.loaders.pytorchvideo_rows import PlannedClipSampler
from fastvid.benchmark.loaders.rows import (
    PEER_MODULES,
    RowJob,
    available,
    cuda_reason,
    decord_job,
    fastvid_job,
    pytorchvideo_job,
    run_job,
    spdl_job,
    torchcodec_job,
)
from fastvid.benchmark.loaders.workload import (
    CLIPS_PER_VIDEO,
    SAMPLER_NAMES,
    SEED,
    SEED_CONFIG,
    ClipConfig,
    Workload,
    fastvid_loader,
    make_workload,
    sampler_args,
)

__all__ = [
    "CLIPS_PER_VIDEO",
    "PEER_MODULES",
    "SAME_FRAME_MAX_DIFF",
    "SAMPLER_NAMES",
    "SEED",
    "SEED_CONFIG",
    "ClipConfig",
    "DecordClips",
    "MemorySampler",
    "PlannedClipSampler",
    "RowJob",
    "RowResult",
    "TorchcodecClips",
    "Workload",
    "available",
    "check_frames",
    "cuda_reason",
    "decord_job",
    "fastvid_batches",
    "fastvid_job",
    "fastvid_loader",
    "make_workload",
    "measure",
    "pytorchvideo_job",
    "run_job",
    "sampler_args",
    "spdl_job",
    "torchcodec_job",
]
