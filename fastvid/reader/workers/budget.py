"""How many worker processes and threads a loader uses, chosen from the machine.

The rule (measured on the 2-core CPU machine, ``benchmarks/results/cpu``; GPU untested):

* **PyAV route** (the CPU default, and files NVDEC cannot take): decoding is the work, and it
  scales best across processes with one FFmpeg thread each (the decode-only ceiling measured
  14.4 clips/s with 2 single-threaded processes against 11.6 with one process and FFmpeg's own
  threads, 720p H.264). So: one worker per core, one FFmpeg thread each.
* **DALI routes** (NVDEC; DALI's CPU decoder): workers only cut GOP ranges (a few ms per clip);
  DALI's own threads decode (CPU) or drive NVDEC. A few workers are enough.
* DALI's CPU threads run the resize / crop / flip / normalise ops of each batch in the loader's
  process: at most 4 (the ops are light next to decoding), one per core on a small machine.
* Batches prepared ahead: two tasks per worker, so none waits while the loader assembles.

Every number can be overridden (``ClipLoader(num_workers=..., num_threads=...,
decoder_threads=..., prefetch_batches=...)``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastvid.reader.decoding.routing import Routing

__all__ = ["Budget", "choose_budget", "known_before_routing", "usable_cores"]


@dataclass(frozen=True)
class Budget:
    """Processes and threads of one loader.

    Attributes:
        workers: Worker processes.
        decoder_threads: FFmpeg threads per worker (PyAV route).
        dali_threads: DALI threads in the loader's process.
        prefetch_batches: Batches whose clips are sent to workers ahead of time.
        rule: In words, why.
    """

    workers: int
    decoder_threads: int
    dali_threads: int
    prefetch_batches: int
    rule: str


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def choose_budget(
    device: str,
    videos: Sequence[Any],
    routing: Routing,
    *,
    requested: tuple[int | None, int | None, int | None, int | None] = (None, None, None, None),
    batch_size: int = 1,
    cores: int | None = None,
) -> Budget:
    """Pick worker and thread counts for a loader.

    Args:
        device: ``"cpu"`` or ``"gpu"``.
        videos: The videos' metadata (unused today beyond their count; resolution and codec
            enter through ``routing``).
        routing: Which decoder each video goes to.
        requested: User overrides ``(num_workers, num_threads, decoder_threads,
            prefetch_batches)``; ``None`` entries are chosen here.
        batch_size: Clips per batch.
        cores: Cores to plan for. Default: :func:`usable_cores`.
    """
    cores = cores or usable_cores()
    decoders = list(routing.decoders.values())
    pyav_share = decoders.count("pyav") / len(decoders) if decoders else 1.0
    if pyav_share >= 0.5:
        workers = cores
        rule = f"{cores} core(s), most files decoded by PyAV: one single-threaded worker per core"
    else:
        workers = max(1, min(cores // 2, 8)) if device == "gpu" else 1
        rule = f"{cores} core(s), most files decoded by DALI: workers cut GOP ranges only"
    dali_threads = max(1, min(cores, 4))
    num_workers, num_threads, decoder_threads, prefetch = requested
    workers = num_workers or workers
    threads = decoder_threads or max(1, cores // workers)
    dali = num_threads or dali_threads
    ahead = prefetch or max(2, -(-2 * workers * 4 // max(batch_size, 1)) + 1)
    return Budget(workers, threads, dali, ahead, rule)


def known_before_routing(
    device: str,
    cpu_decoder: str,
    *,
    requested: tuple[int | None, int | None, int | None, int | None] = (None, None, None, None),
    batch_size: int = 1,
) -> Budget | None:
    """The budget :func:`choose_budget` will pick for any videos, where their routes do not
    matter: ``num_workers`` given, or every file decoded by PyAV (the CPU, unless
    ``cpu_decoder="dali"``). ``None`` where it depends on the routes. The loader starts its
    workers with it before indexing and routing, so that they import meanwhile."""
    if requested[0] is None and (device == "gpu" or cpu_decoder == "dali"):
        return None
    return choose_budget(
        device, [], Routing({}, {}, "pyav"), requested=requested, batch_size=batch_size
    )
