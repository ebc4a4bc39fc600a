"""Random clip samplers planned from a private generator: the clips the global ``random`` gives,
without touching it.

The planner seeds every video on its own (``mix_seed(seed, epoch, video_index)``), so that a
video's clips do not depend on the order videos are planned in. A sampler that draws from the
global RNGs gets that seed through :func:`~fastvid.reader.planning._video_order.seeded_global_rngs`:
the global ``random`` and torch generators are saved, seeded and restored for every video, which
costs ~0.1 ms a video and forbids planning in a background thread (the training loop draws from
the same globals meanwhile).

The random samplers fastvid knows, its own ``random`` / ``random_multi`` without a ``generator``
and PyTorchVideo 0.1.5's ``RandomClipSampler`` / ``RandomMultiClipSampler``, draw only
``random.uniform(0, max(duration - clip_duration, 0))`` per clip. ``random.Random(s)`` is the
same Mersenne Twister as ``random.seed(s)``, and fastvid's samplers draw from a given
``random.Random`` with the same arithmetic (``generator.uniform``), so a sampler built on a
private ``random.Random(seed)`` gives exactly the clips of the global path, and no global state
is read or written: such an epoch is planned in the background as the duration-only ones are.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from fastvid.reader.planning._seeds import mix_seeds
from fastvid.reader.planning._vector_plan import walk_sampler
from fastvid.reader.planning._video_order import mix_seed

__all__ = ["PrivateDraws", "private_draws"]

_PYTORCHVIDEO = "pytorchvideo.data.clip_sampling"


class PrivateDraws:
    """The clips of one video from its own ``random.Random(mix_seed(seed, epoch, video))``.

    Args:
        make: Builds the sampler on a generator (fastvid's random sampler, same clip length
            and count as the user's).
        seed: The planner's seed.
    """

    def __init__(self, make: Callable[[random.Random], Any], seed: int) -> None:
        self._make = make
        self._seed = seed
        self._local = threading.local()

    def clips(
        self, video_index: int, epoch: int, duration: Fraction | float | None
    ) -> list[tuple[Any, ...]]:
        """``(start, end, clip, aug, call)`` of every clip of video ``video_index`` (none
        without a duration), as the global path draws them."""
        return self._walk(mix_seed(self._seed, epoch, video_index), duration)

    def many(
        self, video_indices: Sequence[int], epoch: int, durations: Sequence[Any]
    ) -> list[list[tuple[Any, ...]]]:
        """:meth:`clips` of several videos (``durations[i]``: video ``video_indices[i]``'s),
        their seeds computed together (:func:`~fastvid.reader.planning._seeds.mix_seeds`)."""
        seeds = mix_seeds(self._seed, epoch, np.asarray(video_indices, np.int64)).tolist()
        return [self._walk(s, d) for s, d in zip(seeds, durations, strict=True)]

    def _walk(self, seed: int, duration: Fraction | float | None) -> list[tuple[Any, ...]]:
        if duration is None:
            return []
        local = self._local
        sampler = getattr(local, "sampler", None)
        if sampler is None:  # one generator and sampler per planning thread, reseeded per video
            local.generator = random.Random()
            sampler = local.sampler = self._make(local.generator)
        local.generator.seed(seed)  # as random.seed(seed): the same Mersenne Twister state
        return walk_sampler(sampler, duration, None)


def private_draws(sampler: Any, seed: int) -> PrivateDraws | None:
    """:class:`PrivateDraws` for ``sampler`` where it is one of the random samplers that draw
    from the global ``random`` only (see the module docstring); ``None`` for any other sampler
    (a subclass, a custom sampler, a ``generator`` of the user's: they keep the global path)."""
    from fastvid.data.samplers import (
        PyTorchVideoClipSampler,
        RandomClipSampler,
        RandomMultiClipSampler,
    )

    inner = sampler.wrapped if type(sampler) is PyTorchVideoClipSampler else sampler
    kind = type(inner)
    if kind in (RandomClipSampler, RandomMultiClipSampler):
        if inner.generator is not None:
            return None
        clips = inner.num_clips if kind is RandomMultiClipSampler else None
    elif kind.__module__ == _PYTORCHVIDEO and kind.__name__ == "RandomClipSampler":
        clips = None
    elif kind.__module__ == _PYTORCHVIDEO and kind.__name__ == "RandomMultiClipSampler":
        clips = int(inner._num_clips)
    else:
        return None
    length = Fraction(inner._clip_duration)
    if clips is None:
        return PrivateDraws(lambda g: RandomClipSampler(length, generator=g), seed)
    return PrivateDraws(lambda g: RandomMultiClipSampler(length, clips, generator=g), seed)
