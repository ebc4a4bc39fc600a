"""``mix_seed(seed, epoch, video)`` for many videos at once, in NumPy.

:func:`~fastvid.reader.planning._video_order.mix_seed` is the first word of
``np.random.SeedSequence([seed, epoch, video]).generate_state(2)`` (each part masked to 32 bits):
~18 us a call, most of an epoch's planning time with a random clip sampler at a million videos.
:func:`mix_seeds` runs NumPy's SeedSequence algorithm (O'Neill's ``seed_seq`` hash: four pool
words, ``hashmix`` and ``mix`` on uint32 with wrap-around) on whole columns of video indices; the
tests compare it with ``SeedSequence`` itself word for word.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mix_seeds"]

_MASK = 0xFFFFFFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4  # NumPy's default pool size, in 32-bit words


def mix_seeds(seed: int, epoch: int, videos: np.ndarray) -> np.ndarray:
    """``mix_seed(seed, epoch, v)`` for every ``v`` of ``videos`` (uint32 values).

    Args:
        seed: The loader's seed.
        epoch: The epoch.
        videos: Video indices (non-negative integers).

    Returns:
        One seed per video, ``np.uint32``.
    """
    count = len(videos)
    words = [
        np.full(count, seed & _MASK, np.uint32),
        np.full(count, epoch & _MASK, np.uint32),
        (np.asarray(videos, np.int64) & _MASK).astype(np.uint32),
    ]
    hash_const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_A) & _MASK
        value = value * np.uint32(hash_const)
        return value ^ (value >> np.uint32(16))

    zeros = np.zeros(count, np.uint32)
    pool: list[np.ndarray] = [hashmix(words[i] if i < len(words) else zeros) for i in range(_POOL)]
    for source in range(_POOL):
        for target in range(_POOL):
            if source != target:
                mixed: np.ndarray = pool[target] * np.uint32(_MIX_L) - hashmix(
                    pool[source]
                ) * np.uint32(_MIX_R)
                pool[target] = mixed ^ (mixed >> np.uint32(16))
    # generate_state's first word
    value = pool[0] ^ np.uint32(_INIT_B)
    value = value * np.uint32((_INIT_B * _MULT_B) & _MASK)
    return value ^ (value >> np.uint32(16))
