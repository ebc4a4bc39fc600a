"""The worker process's entry module: what a spawned worker imports before its first task."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "nvidia.dali", "lightning", "pytorch_lightning", "torchvision", "pandas")


def test_the_worker_entry_imports_neither_torch_nor_dali_nor_lightning() -> None:
    """A spawned worker unpickles ``worker_main``, importing :mod:`fastvid.reader.workers.worker`
    and the packages above it; torch alone costs seconds there (fastvid.data's clip samplers used to
    pull it in through ``MultiProcessSampler``)."""
    code = (
        "import json, sys; import fastvid.reader.workers.worker; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(out.stdout) == []


def test_fastvid_data_still_offers_multiprocess_sampler() -> None:
    """``from fastvid.data import MultiProcessSampler`` (PyTorchVideo's name) loads it on use."""
    from torch.utils.data import Sampler

    from fastvid.data import MultiProcessSampler
    from fastvid.data.samplers import MultiProcessSampler as same

    assert same is MultiProcessSampler and issubclass(MultiProcessSampler, Sampler)
