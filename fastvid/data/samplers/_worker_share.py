"""``MultiProcessSampler``: a torch ``DataLoader`` worker's share of a video sampler's order.

PyTorchVideo's iterable datasets run one copy per ``DataLoader`` worker; each copy iterates the
same video sampler (same seed) and keeps only its worker's contiguous block of positions, so
the workers together see every video once, in blocks of the sampler's order.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator

import numpy as np
import torch.utils.data
from torch.utils.data import Sampler

__all__ = ["MultiProcessSampler"]

logger = logging.getLogger(__name__)


class MultiProcessSampler(Sampler[int]):
    """Splits a sampler's indices into one contiguous block per ``DataLoader`` worker.

    PyTorchVideo 0.1.5's ``pytorchvideo.data.utils.MultiProcessSampler``, same blocks: the
    positions ``0 .. len(sampler) - 1`` are split as ``numpy.array_split`` splits them (the
    first ``len % workers`` blocks one longer), and worker ``i`` yields the sampler's items at
    the positions of block ``i``. Outside a worker (or with ``num_workers == 0``) it yields
    the whole sampler. A worker with an empty block (more workers than videos) yields nothing
    and logs a warning.

    Args:
        sampler: The video sampler (any sized iterable of indices).
    """

    def __init__(self, sampler: Sampler[int]) -> None:
        self._sampler = sampler

    def __iter__(self) -> Iterator[int]:
        worker_info = torch.utils.data.get_worker_info()
        if worker_info is None or worker_info.num_workers == 0:
            return iter(self._sampler)
        total = len(self._sampler)  # type: ignore[arg-type]
        block = np.array_split(np.arange(total), worker_info.num_workers)[worker_info.id]
        if block.size == 0:
            logger.warning(
                "More DataLoader workers (%d) than videos (%d): worker %d has none; use fewer "
                "workers",
                worker_info.num_workers,
                total,
                worker_info.id,
            )
            return iter(())
        return itertools.islice(iter(self._sampler), int(block[0]), int(block[-1]) + 1)
