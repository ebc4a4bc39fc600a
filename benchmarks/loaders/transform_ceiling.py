"""The strict ceiling plus the seed's transforms, the cheapest exact way: a loader with no engine.

Per clip, in one single-threaded process per core (forked), as in the strict ceiling
(:mod:`benchmarks.loaders.strict_ceiling`): seek to the keyframe cut, decode only the needed
frames (unneeded non-reference frames skipped), stop at the last one. Then what any loader that
returns the seed's clips must also do: convert those frames to RGB (swscale through one reused
context, as fastvid's workers do) and apply the seed transforms exactly, in the cheapest way
measured here, which is fastvid's own CPU finish (torch's uint8 bilinear resize, the crop, the
flip, one float32 copy in channels-last order). There is no planning, no hand-off between
processes, no shared memory and no batching: fastvid ÷ this row is what fastvid's engine costs on
top of the work itself (issue 22, item 4), where fastvid ÷ the strict ceiling also counts the
transforms.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np

from benchmarks.loaders.strict_ceiling import StrictDecoder, strict_ceiling_batches
from fastvid.benchmark.loaders.workload import ClipConfig, Workload

__all__ = ["TransformingDecoder", "transform_ceiling_batches"]


class TransformingDecoder(StrictDecoder):
    """:class:`StrictDecoder` whose frames are converted to RGB and finished like the seed's.

    Args:
        config: The clips' transforms (the workload's).
        seed: Seeds the transforms' random parameters. Default: 0.
    """

    def __init__(self, config: ClipConfig, *, seed: int = 0) -> None:
        import torch

        from fastvid.reader.transforms.lowering import lower_sample_transform

        super().__init__()
        self.pipeline = lower_sample_transform(config.sample_transform()).pipeline
        self.generator = torch.Generator().manual_seed(seed)
        torch.set_num_threads(1)

    def clip(self, request: Any, meta: Any) -> Any:
        """Clip ``request`` as a float32 ``(C, T, H, W)`` tensor (``meta``: its index entry)."""
        from fastvid.reader.decoding._pyav_convert import _to_rgb
        from fastvid.reader.transforms.augment import sample_steps
        from fastvid.reader.transforms.finish import ClipFinish, finish_batch

        needed, order = np.unique(request.frame_indices, return_inverse=True)
        frames: dict[int, np.ndarray] = {}

        def keep(index: int, frame: Any, damaged: bool = False) -> None:
            frames[index] = _to_rgb(frame, frame.width, frame.height, "bilinear")

        self.decode(request, meta, keep)
        rgb = np.stack([frames[int(i)] for i in needed])
        height, width = rgb.shape[1:3]
        steps = sample_steps(self.pipeline.spatial_ops, height, width, self.generator)
        finish = ClipFinish.from_params(self.pipeline.spatial_ops, steps.params)
        batch, _ = finish_batch([(rgb, order, finish)], self.pipeline.affine, channels_last=True)
        assert batch is not None  # one clip has one shape
        return batch[0]

    def load(self, request: Any, meta: Any) -> None:
        """What a worker does with one planned clip: :meth:`clip`, dropped."""
        self.clip(request, meta)


def transform_ceiling_batches(work: Workload, *, processes: int) -> Iterator[int | None]:
    """The planned batches over ``processes`` single-threaded workers (forked), each clip
    decoded, converted and transformed where it was decoded, and dropped."""
    return strict_ceiling_batches(
        work, processes=processes, make_decoder=partial(TransformingDecoder, work.config)
    )
