"""``choose_budget``: worker and thread counts from the machine's cores and the routing.

The suite plans loaders for one core (``tests/conftest.py``: ``one_core_by_default``), so the
rules for more cores are checked here, with the core count passed in.
"""

from __future__ import annotations

import os

from fastvid.reader.decoding.routing import Routing
from fastvid.reader.workers.budget import choose_budget, usable_cores


def _routing(*decoders: str) -> Routing:
    return Routing({f"v{i}": d for i, d in enumerate(decoders)}, {}, "pyav")  # type: ignore[arg-type]


def test_pyav_files_get_one_single_threaded_worker_per_core() -> None:
    budget = choose_budget("cpu", [], _routing("pyav", "pyav", "dali_cpu"), cores=2)
    assert (budget.workers, budget.decoder_threads, budget.dali_threads) == (2, 1, 2)
    assert budget.prefetch_batches == 2 * 2 * 4 + 1  # two tasks per worker, batches of 1
    assert "one single-threaded worker per core" in budget.rule
    wide = choose_budget("cpu", [], _routing("pyav"), cores=16, batch_size=8)
    assert (wide.workers, wide.decoder_threads, wide.dali_threads) == (16, 1, 4)
    assert wide.prefetch_batches == -(-2 * 16 * 4 // 8) + 1


def test_dali_files_get_one_worker_on_the_cpu_and_a_few_on_the_gpu() -> None:
    dali = _routing("dali_cpu", "dali_cpu", "pyav")
    cpu = choose_budget("cpu", [], dali, cores=2)
    assert (cpu.workers, cpu.decoder_threads, cpu.dali_threads) == (1, 2, 2)
    assert "workers cut GOP ranges only" in cpu.rule
    nvdec = _routing("nvdec")
    assert choose_budget("gpu", [], nvdec, cores=8).workers == 4
    assert choose_budget("gpu", [], nvdec, cores=64).workers == 8
    assert choose_budget("gpu", [], nvdec, cores=1).workers == 1


def test_requested_counts_win() -> None:
    budget = choose_budget("cpu", [], _routing("pyav"), requested=(3, 5, 2, 7), cores=2)
    assert (budget.workers, budget.dali_threads, budget.decoder_threads) == (3, 5, 2)
    assert budget.prefetch_batches == 7


def test_usable_cores_are_the_affinity_mask() -> None:
    assert usable_cores() == len(os.sched_getaffinity(0)) >= 1
