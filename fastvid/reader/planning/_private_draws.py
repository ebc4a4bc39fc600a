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
same Mersenne Twister as ``random.seed(s)``, so the same arithmetic on a private generator
(:class:`PrivateDraws`) gives exactly the clips of the global path, and no global state is read
or written: such an epoch is planned in the background as the duration-only ones are.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from fastvid.reader.planning._seeds import mix_seeds

__all__ = ["PrivateDraws", "private_draws"]

_PYTORCHVIDEO = "pytorchvideo.data.clip_sampling"


class PrivateDraws:
    """The clips of one video from its own ``random.Random(mix_seed(seed, epoch, video))``.

    A random sampler's clip is ``Fraction(random.uniform(0, high))`` with ``high =
    max(duration - clip_duration, 0)``, i.e. ``Fraction(0 + (high - 0) * random())``: a
    ``Fraction`` times a float is the float of the ``Fraction`` times it, so the start is
    ``Fraction(float(high) * random())``, computed here without the sampler's ``Fraction``
    arithmetic (``float(high)`` once per distinct duration). The tests compare every clip with
    the sampler's own walk under the seeded global ``random``.

    Args:
        clip_duration: The sampler's clip length.
        clips: Clips per video (``num_clips`` of the multi-clip samplers, else 1).
        seed: The planner's seed.
    """

    def __init__(self, clip_duration: Fraction, clips: int, seed: int) -> None:
        self._clip = clip_duration
        self._clips = clips
        self._seed = seed
        self._local = threading.local()

    def clips(
        self, video_index: int, epoch: int, duration: Fraction | float | None
    ) -> list[tuple[Any, ...]]:
        """``(start, end, clip, aug, call)`` of every clip of video ``video_index`` (none
        without a duration), as the global path draws them."""
        return self.many([video_index], epoch, [duration])[0]

    def many(
        self, video_indices: Sequence[int], epoch: int, durations: Sequence[Any]
    ) -> list[list[tuple[Any, ...]]]:
        """:meth:`clips` of several videos (``durations[i]``: video ``video_indices[i]``'s),
        their seeds computed together (:func:`~fastvid.reader.planning._seeds.mix_seeds`)."""
        seeds = mix_seeds(self._seed, epoch, np.asarray(video_indices, np.int64)).tolist()
        local = self._local
        if not hasattr(local, "generator"):  # one per planning thread, reseeded per video
            local.generator = random.Random()
        generator, clip, count = local.generator, self._clip, self._clips
        highs: dict[tuple[type, Any], float] = {}
        out: list[list[tuple[Any, ...]]] = []
        for seed, duration in zip(seeds, durations, strict=True):
            if duration is None:
                out.append([])
                continue
            key = (type(duration), duration)  # 5.0 and Fraction(5) subtract differently
            high = highs.get(key)
            if high is None:
                high = highs[key] = float(max(duration - clip, 0))
            generator.seed(seed)  # as random.seed(seed): the same Mersenne Twister state
            starts = [Fraction(high * generator.random()) for _ in range(count)]
            out.append([(start, start + clip, 0, 0, 0) for start in starts])
        return out


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
    return PrivateDraws(Fraction(inner._clip_duration), 1 if clips is None else clips, seed)
