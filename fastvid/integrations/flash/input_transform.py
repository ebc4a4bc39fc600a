"""Lightning Flash 0.8's ``InputTransform``: transforms per stage and per place, as a class.

A Flash 0.8 user passes ``transform=`` an ``InputTransform`` (class or instance) whose hooks
return the transform of each place: ``per_sample_transform``, ``per_batch_transform``,
``per_sample_transform_on_device``, ``per_batch_transform_on_device`` (and ``collate``), each
with a per-stage override (``train_per_sample_transform``, ``val_...``, ``test_...``,
``predict_...``) that falls back to the stage-less hook, as in Flash
(``flash.core.data.io.input_transform``)::

    @dataclass
    class MyTransform(InputTransform):
        image_size: int = 160

        def per_sample_transform(self):
            return ApplyToKeys("input", Compose([UniformTemporalSubsample(8), Div255(),
                                                 CenterCrop(self.image_size)]))

fastvid turns each stage's hooks into its transform dict (:mod:`fastvid.data.transforms`):
``per_sample_transform`` is a sample transform, so the steps DALI knows (temporal subsample, scale,
crop, flip, normalise) are lowered into the decoding graph
(:mod:`fastvid.reader.transforms.lowering`); the rest runs in torch on each sample, the batch hooks
on the batch. Flash's hooks see Flash's keys ``"input"`` / ``"target"``; fastvid's samples and
batches carry ``"video"`` / ``"label"``: ``ApplyToKeys("input", ...)`` becomes PyTorchVideo's
``ApplyTransformToKey("video", ...)`` (which the lowering reads), and any other hook sees the dict
under Flash's keys and hands it back under fastvid's.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch

from fastvid.data.transforms import validate_transform_dict
from fastvid.integrations.flash._stages import import_class

__all__ = [
    "ApplyToKeys",
    "InputTransform",
    "InputTransformCollate",
    "VideoClassificationInputTransform",
    "resolve_input_transform",
    "stage_transform_dict",
]

STAGE_PREFIXES = ("train", "val", "test", "predict")
# Flash's placements and the fastvid transform-dict key each one becomes.
_PLACEMENTS = {
    "per_sample_transform": "per_sample_transform",
    "per_batch_transform": "per_batch_transform",
    "per_sample_transform_on_device": "per_sample_transform_on_device",
    "per_batch_transform_on_device": "per_batch_transform_on_device",
}
# Flash's sample keys (``DataKeys.INPUT``, ``DataKeys.TARGET``) -> fastvid's.
_FLASH_TO_FASTVID = {"input": "video", "target": "label"}
_FASTVID_TO_FLASH = {v: k for k, v in _FLASH_TO_FASTVID.items()}


class ApplyToKeys:
    """Flash's ``ApplyToKeys(keys, *transforms)``: run ``transforms`` in order on ``sample[key]``
    (several keys: on the list of their values); keys missing from the sample are skipped."""

    def __init__(self, keys: str | Sequence[str], *transforms: Callable[..., Any]) -> None:
        self.keys = [keys] if isinstance(keys, str) else list(keys)
        self.transforms = list(transforms)

    def _run(self, value: Any) -> Any:
        for transform in self.transforms:
            value = transform(value)
        return value

    def __call__(self, sample: Mapping[str, Any]) -> dict[str, Any]:
        keys = [key for key in self.keys if key in sample]
        result = dict(sample)
        if len(keys) == 1:
            result[keys[0]] = self._run(sample[keys[0]])
        elif keys:
            outputs = self._run([sample[key] for key in keys])
            result.update(zip(keys, outputs, strict=True))
        return result

    def __repr__(self) -> str:
        return f"ApplyToKeys(keys={self.keys!r}, transforms={self.transforms!r})"


@dataclass
class InputTransform:
    """Flash 0.8's ``InputTransform``: override the hooks that return a transform (or ``None``).

    Each hook ``<place>`` has the per-stage hooks ``train_<place>``, ``val_<place>``,
    ``test_<place>`` and ``predict_<place>``, which return ``self.<place>()`` unless overridden.
    ``per_batch_transform`` and ``per_sample_transform_on_device`` are mutually exclusive in a
    stage (Flash's rule). A dataclass: subclasses declare their options as fields, filled from
    ``transform_kwargs``.
    """

    def __post_init__(self) -> None:
        self._transform: dict[str, dict[str, Callable[..., Any]]] = {
            stage: self._resolve_stage(stage) for stage in STAGE_PREFIXES
        }

    # -- the hooks (Flash's names) ---------------------------------------------------------
    def per_sample_transform(self) -> Callable[..., Any] | None:
        """Transform of one sample dict (``"input"``, ``"target"``), every stage."""
        return None

    def per_batch_transform(self) -> Callable[..., Any] | None:
        """Transform of one collated batch dict, every stage."""
        return None

    def per_sample_transform_on_device(self) -> Callable[..., Any] | None:
        """Transform of each sample of a batch on the model's device, every stage."""
        return None

    def per_batch_transform_on_device(self) -> Callable[..., Any] | None:
        """Transform of a batch on the model's device, every stage."""
        return None

    def collate(self) -> Callable[..., Any] | None:
        """Flash's collate hook; fastvid collates inside DALI, so it must stay the default."""
        return None

    def current_transform(self, stage: str, current_fn: str) -> Callable[..., Any]:
        """The ``current_fn`` placement's transform of ``stage`` (identity when there is none)."""
        return self._transform[stage].get(current_fn, _identity)

    def _resolve_stage(self, stage: str) -> dict[str, Callable[..., Any]]:
        transforms: dict[str, Callable[..., Any]] = {}
        for place in (*_PLACEMENTS, "collate"):
            method_name = f"{stage}_{place}"
            method = getattr(self, method_name, None)
            fn = method() if method is not None else getattr(self, place)()
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"The hook {method_name} should return a callable, got {fn!r}")
            transforms[place] = fn
        if "per_batch_transform" in transforms and "per_sample_transform_on_device" in transforms:
            raise TypeError(
                f"{type(self).__name__} ({stage}): `per_batch_transform` and "
                "`per_sample_transform_on_device` are mutually exclusive (as in Flash); "
                "keep one of them"
            )
        if "collate" in transforms:
            raise ValueError(
                f"{type(self).__name__}.{stage}_collate returns {transforms['collate']!r}: "
                "fastvid collates inside its DALI graph and cannot run a custom collate; "
                "do that work in per_batch_transform instead"
            )
        return transforms


def _per_stage_hooks(cls: type) -> None:
    """Give ``cls`` Flash's per-stage hooks, each falling back to the stage-less one."""
    for place in (*_PLACEMENTS, "collate"):
        for stage in STAGE_PREFIXES:

            def hook(self: Any, _place: str = place) -> Any:
                return getattr(self, _place)()

            hook.__name__ = f"{stage}_{place}"
            hook.__doc__ = f"``{place}`` for the {stage} stage (default: ``self.{place}()``)."
            setattr(cls, hook.__name__, hook)


_per_stage_hooks(InputTransform)


def _divide_by_255(x: torch.Tensor) -> torch.Tensor:
    return x / 255.0


def _default_mean() -> torch.Tensor:
    return torch.tensor([0.45, 0.45, 0.45])


def _default_std() -> torch.Tensor:
    return torch.tensor([0.225, 0.225, 0.225])


@dataclass
class VideoClassificationInputTransform(InputTransform):
    """Flash 0.8's default video transforms (``flash.video.classification.input_transform``).

    Every stage: ``UniformTemporalSubsample(temporal_sub_sample)``, divide by 255, then
    ``RandomCrop(image_size, pad_if_needed=True)`` when training or ``CenterCrop(image_size)``
    otherwise (all three lowered into DALI); per batch on the device, kornia
    ``VideoSequential(Normalize(mean, std), data_format, same_on_frame)``.

    Args:
        image_size: Crop size, an int or ``(height, width)``. Default: 244.
        temporal_sub_sample: Frames per clip. Default: 8.
        mean: Per-channel mean of the device normalisation. Default: ``[0.45] * 3``.
        std: Per-channel standard deviation. Default: ``[0.225] * 3``.
        data_format: kornia's ``VideoSequential`` layout. Default: ``"BCTHW"``.
        same_on_frame: kornia's ``VideoSequential`` option. Default: ``False``.
    """

    image_size: int | tuple[int, int] = 244
    temporal_sub_sample: int = 8
    mean: torch.Tensor = field(default_factory=_default_mean)
    std: torch.Tensor = field(default_factory=_default_std)
    data_format: str = "BCTHW"
    same_on_frame: bool = False

    def _clip(self, crop: Callable[..., Any]) -> ApplyToKeys:
        from pytorchvideo.transforms import UniformTemporalSubsample
        from torchvision.transforms import Compose

        steps = [UniformTemporalSubsample(self.temporal_sub_sample), _divide_by_255, crop]
        return ApplyToKeys("input", Compose(steps))

    def per_sample_transform(self) -> Callable[..., Any]:
        from torchvision.transforms import CenterCrop

        return self._clip(CenterCrop(self.image_size))

    def train_per_sample_transform(self) -> Callable[..., Any]:
        from torchvision.transforms import RandomCrop

        return self._clip(RandomCrop(self.image_size, pad_if_needed=True))

    def per_batch_transform_on_device(self) -> Callable[..., Any]:
        import kornia.augmentation as K

        normalize = K.Normalize(torch.as_tensor(self.mean), torch.as_tensor(self.std))
        return ApplyToKeys(
            "input",
            K.VideoSequential(
                normalize, data_format=self.data_format, same_on_frame=self.same_on_frame
            ),
        )


def resolve_input_transform(
    transform: Any, transform_kwargs: Mapping[str, Any] | None = None, *, default: Any = None
) -> InputTransform | None:
    """Flash's ``create_or_configure_input_transform``: an instance is used as given (its
    ``transform_kwargs`` ignored, as in Flash), a class or ``functools.partial`` is called with
    ``transform_kwargs``, ``None`` means no transforms.

    Args:
        transform: An ``InputTransform`` instance, subclass (or its dotted import path, as
            config files write it) or partial, or ``None``.
        transform_kwargs: Arguments for a class or partial. Default: none.
        default: The constructor's default class: built without Flash's deprecation warning
            (Flash warns when a class is passed; fastvid only when the user passes one).

    Raises:
        ValueError: Anything else (Flash's error, naming the value).
    """
    kwargs = dict(transform_kwargs or {})
    transform = import_class(transform)
    if isinstance(transform, InputTransform):
        return transform
    if inspect.isclass(transform) and issubclass(transform, InputTransform):
        if transform is not default:
            warnings.warn(
                "Please pass an instantiated object of the `InputTransform` class. Passing the "
                "Class and keyword arguments separately has been deprecated since Flash v0.8.0 "
                f"(write transform={transform.__name__}(**transform_kwargs))",
                FutureWarning,
                stacklevel=3,
            )
        return transform(**kwargs)
    if isinstance(transform, partial):
        result = transform(**kwargs)
        if not isinstance(result, InputTransform):
            raise TypeError(
                f"transform partial {transform!r} built {result!r}, not an InputTransform"
            )
        return result
    if not transform:
        return None
    raise ValueError(
        f"The format for the transform isn't correct. Found {transform!r}: pass an "
        "InputTransform instance (e.g. VideoClassificationInputTransform(image_size=160)), "
        "an InputTransform subclass with transform_kwargs, or None"
    )


class _FlashKeys:
    """Run a Flash hook on a fastvid sample or batch dict: it sees ``"input"`` / ``"target"``
    and its result goes back under ``"video"`` / ``"label"``."""

    def __init__(self, transform: Callable[..., Any]) -> None:
        self.transform = transform

    def __call__(self, sample: Any) -> Any:
        if not isinstance(sample, Mapping):
            return self.transform(sample)
        result = self.transform({_FASTVID_TO_FLASH.get(k, k): v for k, v in sample.items()})
        if not isinstance(result, Mapping):
            return result
        return {_FLASH_TO_FASTVID.get(k, k): v for k, v in result.items()}

    def __repr__(self) -> str:
        return f"FlashKeys({self.transform!r})"


def _on_fastvid_keys(transform: Callable[..., Any]) -> Callable[..., Any]:
    """``transform`` made to work on fastvid's dicts, in a form the lowering can read."""
    if isinstance(transform, ApplyToKeys) and len(transform.keys) == 1:
        from pytorchvideo.transforms import ApplyTransformToKey
        from torchvision.transforms import Compose

        key = _FLASH_TO_FASTVID.get(transform.keys[0], transform.keys[0])
        steps = transform.transforms
        return ApplyTransformToKey(key, steps[0] if len(steps) == 1 else Compose(steps))
    return _FlashKeys(transform)


def stage_transform_dict(input_transform: InputTransform | None, stage: str) -> dict[str, Any]:
    """``stage``'s hooks as a fastvid transform dict (:mod:`fastvid.data.transforms`).

    Args:
        input_transform: The resolved transform (``None``: no transforms).
        stage: ``"train"``, ``"val"``, ``"test"`` or ``"predict"``.
    """
    if input_transform is None:
        return {}
    hooks = input_transform._transform[stage]
    chosen = {_PLACEMENTS[p]: _on_fastvid_keys(fn) for p, fn in hooks.items() if p in _PLACEMENTS}
    return validate_transform_dict(chosen, stage=stage)


class InputTransformCollate:
    """A torch ``collate_fn`` for datasets of Flash-keyed samples (Flash's
    ``create_worker_input_transform_processor``, as ``Task.process_*_dataset`` uses it):
    ``stage``'s per-sample transform on each sample, ``default_collate``, its per-batch
    transform; the samples already carry Flash's keys, so the hooks run on them as they are."""

    def __init__(self, input_transform: InputTransform | None, stage: str) -> None:
        hooks = {} if input_transform is None else input_transform._transform[stage]
        self.per_sample = hooks.get("per_sample_transform")
        self.per_batch = hooks.get("per_batch_transform")

    def __call__(self, samples: Sequence[Any]) -> Any:
        from torch.utils.data._utils.collate import default_collate

        if self.per_sample is not None:
            samples = [self.per_sample(sample) for sample in samples]
        batch = default_collate(list(samples))
        return self.per_batch(batch) if self.per_batch is not None else batch


def _identity(x: Any) -> Any:
    return x
