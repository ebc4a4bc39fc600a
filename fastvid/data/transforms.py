"""Flash-style transform dictionaries: defaults and validation.

Flash let users pass, per stage, a dict of transforms keyed by *where* they run. fastvid keeps those
keys. Sample-level keys are lowered into the DALI graph where possible
(:mod:`fastvid.reader.transforms.lowering`); batch-level keys run on the collated batch,
``*_on_device`` ones after Lightning moved it to the model's device.

=================================  ==========================================================
key                                runs on
=================================  ==========================================================
``pre_tensor_transform``           the sample dict, first (after decoding: fastvid decodes
                                   straight to tensors, so there is no earlier stage)
``to_tensor_transform``            the sample dict, next
``post_tensor_transform``          the sample dict, next (Flash's usual place for video ops)
``per_sample_transform``           the sample dict, last
``per_sample_transform_on_device`` each sample of the batch, on the device
``per_batch_transform``            the collated batch dict
``per_batch_transform_on_device``  the batch dict on the model's device
=================================  ==========================================================
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

import torch

__all__ = [
    "SAMPLE_KEYS",
    "TransformDict",
    "apply_device_transforms",
    "default_transforms",
    "sample_transform",
    "validate_transform_dict",
]

TransformDict = Mapping[str, Callable[..., Any]]

SAMPLE_KEYS = (
    "pre_tensor_transform",
    "to_tensor_transform",
    "post_tensor_transform",
    "per_sample_transform",
)
DEVICE_SAMPLE_KEY = "per_sample_transform_on_device"
BATCH_KEY = "per_batch_transform"
DEVICE_BATCH_KEY = "per_batch_transform_on_device"
ALL_KEYS = (*SAMPLE_KEYS, DEVICE_SAMPLE_KEY, BATCH_KEY, DEVICE_BATCH_KEY)


def validate_transform_dict(transforms: TransformDict | None, *, stage: str) -> dict[str, Any]:
    """Check a Flash-style transform dict and return a plain copy.

    Raises:
        TypeError: If it is not a mapping or a value is not callable.
        ValueError: For an unknown key (the message lists the accepted ones).
    """
    if transforms is None:
        return {}
    if not isinstance(transforms, Mapping):
        raise TypeError(
            f"{stage}_transform must be a dict of transforms keyed by stage "
            f"(e.g. {{'post_tensor_transform': ...}}), got {type(transforms).__name__}"
        )
    result: dict[str, Any] = {}
    for key, value in transforms.items():
        if key not in ALL_KEYS:
            close = difflib.get_close_matches(str(key), ALL_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown transform key {key!r} in {stage}_transform{hint} "
                f"accepted keys: {', '.join(ALL_KEYS)}"
            )
        if value is not None and not callable(value):
            raise TypeError(f"{stage}_transform[{key!r}] must be callable, got {value!r}")
        if value is not None:
            result[key] = value
    return result


class _Compose:
    """Apply sample-dict transforms in order (picklable, inspectable by the lowering)."""

    def __init__(self, transforms: list[Callable[..., Any]]) -> None:
        self.transforms = transforms

    def __call__(self, sample: Any) -> Any:
        for transform in self.transforms:
            sample = transform(sample)
        return sample


def sample_transform(transforms: Mapping[str, Any]) -> Callable[..., Any] | None:
    """The sample-level part of a transform dict, composed in Flash's stage order."""
    steps = [transforms[key] for key in SAMPLE_KEYS if key in transforms]
    if not steps:
        return None
    return steps[0] if len(steps) == 1 else _Compose(steps)


def apply_device_transforms(transforms: Mapping[str, Any], batch: Any) -> Any:
    """Run a transform dict's ``*_on_device`` parts on a batch already on the model's device.

    ``per_sample_transform_on_device`` runs on each clip of ``batch["video"]`` (as
    ``{"video": clip}``), then ``per_batch_transform_on_device`` on the whole batch.

    Args:
        transforms: A validated transform dict.
        batch: The batch dict.

    Returns:
        The transformed batch.
    """
    per_sample: Callable[..., Any] | None = transforms.get(DEVICE_SAMPLE_KEY)
    if per_sample is not None and isinstance(batch, dict):
        videos = [per_sample({"video": v})["video"] for v in batch["video"]]
        batch["video"] = torch.stack(videos)
    per_batch: Callable[..., Any] | None = transforms.get(DEVICE_BATCH_KEY)
    if per_batch is not None:
        batch = per_batch(batch)
    return batch


def _divide_by_255(x: torch.Tensor) -> torch.Tensor:
    return x / 255.0


def default_transforms(
    stage: str,
    *,
    image_size: int = 244,
    temporal_sub_sample: int = 8,
    mean: tuple[float, float, float] = (0.45, 0.45, 0.45),
    std: tuple[float, float, float] = (0.225, 0.225, 0.225),
) -> dict[str, Any]:
    """Flash's default video-classification transforms for ``stage``.

    ``UniformTemporalSubsample(8)``, divide by 255, then ``RandomCrop(244, pad_if_needed=True)``
    when training or ``CenterCrop(244)`` otherwise; per batch on the device, kornia
    ``VideoSequential(Normalize(mean, std))``.
    """
    import kornia.augmentation as K
    from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample
    from torchvision.transforms import CenterCrop, Compose, RandomCrop

    crop: Any = (
        RandomCrop(image_size, pad_if_needed=True) if stage == "train" else CenterCrop(image_size)
    )
    video = Compose([UniformTemporalSubsample(temporal_sub_sample), _divide_by_255, crop])
    return {
        "post_tensor_transform": ApplyTransformToKey(key="video", transform=video),
        "per_batch_transform_on_device": ApplyTransformToKey(
            key="video",
            transform=K.VideoSequential(
                K.Normalize(torch.tensor(mean), torch.tensor(std)),
                data_format="BCTHW",
                same_on_frame=False,
            ),
        ),
    }
