"""Video backbones by name: PyTorchVideo's model zoo and torchvision's video models.

A registry in the style of timm's: a private dict of entries, a :func:`register_backbone`
decorator, :func:`list_backbones` with an ``fnmatch`` filter and :func:`create_backbone`. An
unknown name raises ``ValueError`` listing the close matches.

Every entry builds the authors' model with random weights, then fastvid

* replaces its final projection (Kinetics' 400 classes) with ``nn.Identity`` (a feature
  extractor) or a fresh projection for ``num_classes`` (see :mod:`fastvid.models.heads`);
* removes the ``Softmax`` some PyTorchVideo heads end with, so outputs are logits;
* makes fixed-kernel head pools accept smaller clips (identical at and above the kernel size);
* feeds SlowFast its two pathways from one ``(B, C, T, H, W)`` clip (``PackPathway``, alpha 4).

Weights never download implicitly. ``pretrained=True`` reads the file that ``torch.hub`` would
have cached (``<torch.hub.get_dir()>/checkpoints/<file name of the URL>``); if it is missing the
error names that path and the URL to fetch it from. ``pretrained="file.pt"`` loads a local state
dict (plain, PyTorchVideo's ``{"model_state": ...}``, or a Lightning checkpoint of a
``VideoClassifier``), strictly on the backbone's keys and ignoring head keys.

Not registered: ``slow_r50_detection`` and ``slowfast_r50_detection`` (AVA detectors: their
heads need region boxes as a second input, so they are not clip classifiers).
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar
from urllib.parse import urlparse

import torch
from torch import nn

from fastvid.models.heads import (
    clamp_avg_pools,
    drop_head_activation,
    replace_projection,
)

__all__ = [
    "BackboneInfo",
    "backbone_info",
    "create_backbone",
    "download_weights",
    "list_backbones",
    "register_backbone",
]

Source = Literal["pytorchvideo", "torchvision", "custom"]
Builder = TypeVar("Builder", bound=Callable[..., nn.Module])

_SOURCES: tuple[str, ...] = ("pytorchvideo", "torchvision", "custom")
_PYTORCHVIDEO_ZOO = "https://dl.fbaipublicfiles.com/pytorchvideo/model_zoo"
_TORCHVISION_ZOO = "https://download.pytorch.org/models"
# Where a checkpoint may keep its state dict, tried in this order after ``weights_key``.
_STATE_DICT_KEYS: tuple[str, ...] = ("model_state", "state_dict", "model")


@dataclass(frozen=True)
class BackboneInfo:
    """One registry entry.

    Attributes:
        name: Registry name (``"x3d_xs"``).
        source: Where the architecture comes from: ``"pytorchvideo"``, ``"torchvision"`` or
            ``"custom"``.
        builder: Builds the authors' full model (with its original head) with random weights;
            keyword arguments are passed through.
        projection: Dotted name of the final projection inside the built model.
        min_input: Smallest clip ``(T, H, W)`` the backbone accepts.
        max_input: Largest clip per dimension, ``None`` for unbounded. Transformers with
            absolute position embeddings accept one size only: ``max_input == min_input``.
        native_input: The clip ``(T, H, W)`` the published weights were trained or evaluated
            with.
        weights_url: Where the published weights live, ``None`` if there are none.
        weights_key: Key of the state dict inside the published checkpoint, ``None`` if the
            file is the state dict itself.
    """

    name: str
    source: Source
    builder: Callable[..., nn.Module]
    projection: str
    min_input: tuple[int, int, int]
    max_input: tuple[int | None, int | None, int | None]
    native_input: tuple[int, int, int]
    weights_url: str | None
    weights_key: str | None

    @property
    def weights_path(self) -> Path | None:
        """Where ``torch.hub`` caches :attr:`weights_url` (read at call time: ``TORCH_HOME``)."""
        if self.weights_url is None:
            return None
        file_name = os.path.basename(urlparse(self.weights_url).path)
        return Path(torch.hub.get_dir()) / "checkpoints" / file_name

    def check_input(self, shape: tuple[int, ...] | torch.Size) -> None:
        """Raise ``ValueError`` unless a clip of ``shape`` (``(..., T, H, W)``) fits this backbone.

        Args:
            shape: Shape of a clip or batch; the last three entries are ``T, H, W``.
        """
        if len(shape) < 3:
            raise ValueError(f"a clip shape ends in (T, H, W); got {tuple(shape)}")
        thw = tuple(int(s) for s in shape[-3:])
        too_small = any(s < lo for s, lo in zip(thw, self.min_input, strict=True))
        highs = self.max_input
        too_large = any(hi is not None and s > hi for s, hi in zip(thw, highs, strict=True))
        if too_small or too_large:
            raise ValueError(
                f"backbone {self.name!r} cannot take clips of (T, H, W) = {thw}: it needs at "
                f"least {self.min_input} and at most {self.max_input} (None: unbounded); its "
                f"weights were trained on {self.native_input}"
            )


_BACKBONES: dict[str, BackboneInfo] = {}


def register_backbone(
    name: str,
    *,
    source: Source,
    projection: str,
    min_input: tuple[int, int, int],
    max_input: tuple[int | None, int | None, int | None] = (None, None, None),
    native_input: tuple[int, int, int] | None = None,
    weights_url: str | None = None,
    weights_key: str | None = None,
) -> Callable[[Builder], Builder]:
    """Register a backbone builder under ``name`` (a decorator).

    The builder returns the full model with its original classification projection and random
    weights; :func:`create_backbone` does the rest.

    Args:
        name: Registry name; must be new.
        source: ``"pytorchvideo"``, ``"torchvision"`` or ``"custom"``.
        projection: Dotted name of the final ``nn.Linear`` or 1x1x1 ``nn.Conv3d``.
        min_input: Smallest ``(T, H, W)`` accepted.
        max_input: Largest ``(T, H, W)`` accepted, ``None`` per dimension for unbounded.
            Default: ``(None, None, None)``.
        native_input: ``(T, H, W)`` the published weights were trained with.
            Default: ``None`` (same as ``min_input``).
        weights_url: URL of the published weights. Default: ``None``.
        weights_key: Key of the state dict inside that checkpoint. Default: ``None``.

    Returns:
        A decorator that registers the builder and returns it unchanged.
    """
    _validate_name(name)
    if source not in _SOURCES:
        raise ValueError(f"source ({source!r}) must be one of {list(_SOURCES)}")
    _validate_thw("min_input", min_input)

    def decorator(builder: Builder) -> Builder:
        _BACKBONES[name] = BackboneInfo(
            name=name,
            source=source,
            builder=builder,
            projection=projection,
            min_input=min_input,
            max_input=max_input,
            native_input=native_input or min_input,
            weights_url=weights_url,
            weights_key=weights_key,
        )
        return builder

    return decorator


def list_backbones(filter: str | None = None) -> list[str]:
    """Sorted names of the registered backbones.

    Args:
        filter: An ``fnmatch`` pattern (``"x3d*"``, ``"*r50*"``), case-insensitive.
            Default: ``None`` (all names).

    Returns:
        The matching names, sorted.
    """
    names = sorted(_BACKBONES)
    if filter is None:
        return names
    if not isinstance(filter, str):
        raise TypeError(f"filter must be a str or None, got {type(filter).__name__}")
    return [n for n in names if fnmatch.fnmatchcase(n.lower(), filter.lower())]


def backbone_info(name: str) -> BackboneInfo:
    """The registry entry for ``name``.

    Raises:
        ValueError: If ``name`` is not registered; the message lists close matches or, failing
            those, every registered name.
    """
    if not isinstance(name, str):
        raise TypeError(f"backbone name must be a str, got {type(name).__name__}")
    info = _BACKBONES.get(name)
    if info is None:
        close = difflib.get_close_matches(name, list(_BACKBONES), n=5, cutoff=0.5)
        hint = f"did you mean {close}?" if close else f"available backbones: {list_backbones()}"
        raise ValueError(f"unknown backbone {name!r}; {hint}")
    return info


def create_backbone(
    name: str,
    *,
    pretrained: bool | str | os.PathLike[str] = False,
    num_classes: int | None = None,
    **kwargs: Any,
) -> tuple[nn.Module, int]:
    """Build a registered backbone.

    Args:
        name: A name from :func:`list_backbones`.
        pretrained: ``False`` for random weights; ``True`` for the published weights, read from
            ``torch.hub``'s cache (never downloaded here); a path for a local checkpoint.
            Default: ``False``.
        num_classes: ``None`` to replace the final projection with ``nn.Identity`` (the module
            returns ``(B, num_features)`` features); an int for a fresh projection of that many
            classes (the module returns ``(B, num_classes)`` logits; with ``pretrained`` and a
            checkpoint whose head has that shape, the head is loaded too). Default: ``None``.
        **kwargs: Passed to the authors' builder (PyTorchVideo ``create_*`` options, torchvision
            model options).

    Returns:
        ``(module, num_features)``.

    Raises:
        ValueError: Unknown ``name`` or bad ``num_classes``.
        FileNotFoundError: ``pretrained`` weights are not on disk (the message says where to put
            them and where to get them).
        RuntimeError: The checkpoint does not fit the backbone.
    """
    info = backbone_info(name)
    weights_file = _resolve_weights_file(info, pretrained)
    _validate_num_classes(num_classes)
    model = info.builder(**kwargs)
    clamp_avg_pools(model)
    drop_head_activation(model, info.projection)
    num_features = replace_projection(model, info.projection, num_classes)
    if weights_file is not None:
        official = pretrained is True
        state_dict = _read_state_dict(weights_file, info, official=official)
        _load_backbone_state(model, state_dict, info, source=weights_file)
    return model, num_features


def download_weights(name: str, *, progress: bool = True) -> Path:
    """Download a backbone's published weights into ``torch.hub``'s cache (explicitly).

    :func:`create_backbone` never downloads; call this once on a machine with internet (or
    copy the file to the path it returns).

    Args:
        name: A name from :func:`list_backbones`.
        progress: Show a progress bar on stderr. Default: ``True``.

    Returns:
        The cached file (:attr:`BackboneInfo.weights_path`); an existing file is kept.
    """
    info = backbone_info(name)
    path = info.weights_path
    if info.weights_url is None or path is None:
        raise ValueError(f"backbone {name!r} has no published weights")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        # torchvision names its files <name>-<sha256 prefix>.pth, which torch.hub verifies.
        match = torch.hub.HASH_REGEX.search(path.name) if info.source == "torchvision" else None
        hash_prefix = match.group(1) if match else None
        torch.hub.download_url_to_file(
            info.weights_url, str(path), hash_prefix=hash_prefix, progress=progress
        )
    return path


# ---------------------------------------------------------------------------- validation


def _validate_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"backbone name must be a non-empty str, got {name!r}")
    if name in _BACKBONES:
        raise ValueError(f"backbone {name!r} is already registered")


def _validate_thw(what: str, value: tuple[int, int, int]) -> None:
    ok = isinstance(value, tuple) and len(value) == 3
    if not ok or not all(isinstance(v, int) and v > 0 for v in value):
        raise ValueError(f"{what} ({value!r}) must be a (T, H, W) tuple of positive ints")


def _validate_num_classes(num_classes: int | None) -> None:
    if num_classes is None:
        return
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise TypeError(f"num_classes must be an int or None, got {type(num_classes).__name__}")
    if num_classes < 1:
        raise ValueError(f"num_classes ({num_classes}) must be >= 1")


# ---------------------------------------------------------------------------- weights


def _resolve_weights_file(info: BackboneInfo, pretrained: object) -> Path | None:
    if pretrained is False:
        return None
    if pretrained is True:
        path = info.weights_path
        if path is None:
            raise ValueError(
                f"backbone {info.name!r} has no published weights; use pretrained=False or "
                "pretrained='path/to/state_dict.pt'"
            )
        if not path.is_file():
            raise FileNotFoundError(
                f"pretrained weights for {info.name!r} are not in the torch hub cache: expected "
                f"{path} . fastvid never downloads implicitly; fetch {info.weights_url} and save "
                f"it at exactly that path (`curl -L --create-dirs -o {path} "
                f"{info.weights_url}`, or fastvid.models.download_weights({info.name!r}) on a "
                "machine with internet), or point TORCH_HOME at a folder whose hub/checkpoints/ "
                "holds it, or pass pretrained=False / pretrained='path/to/file'"
            )
        return path
    if isinstance(pretrained, str | os.PathLike):
        path = Path(pretrained).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"pretrained weights file {str(path)!r} does not exist")
        return path
    raise TypeError(
        f"pretrained must be a bool or a path to a weights file, got {pretrained!r} "
        f"({type(pretrained).__name__})"
    )


def _read_state_dict(path: Path, info: BackboneInfo, *, official: bool) -> dict[str, torch.Tensor]:
    # Published checkpoints are unpickled as torch.hub would (weights_only=False); a user's
    # file goes through torch.load's safe default.
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=not official)
    except Exception as error:
        raise RuntimeError(
            f"cannot read weights file {str(path)!r}: {error}. Save weights with "
            "torch.save(module.state_dict(), path)"
        ) from error
    return _unwrap_state_dict(checkpoint, info.weights_key, path)


def _unwrap_state_dict(
    checkpoint: object, weights_key: str | None, path: Path
) -> dict[str, torch.Tensor]:
    if not isinstance(checkpoint, Mapping):
        raise RuntimeError(
            f"weights file {str(path)!r} holds a {type(checkpoint).__name__}, not a state dict"
        )
    keys = (weights_key, *_STATE_DICT_KEYS) if weights_key else _STATE_DICT_KEYS
    for key in keys:
        inner = checkpoint.get(key)
        if isinstance(inner, Mapping):
            checkpoint = inner
            break
    state = {str(k): v for k, v in checkpoint.items() if isinstance(v, torch.Tensor)}
    if not state:
        raise RuntimeError(f"weights file {str(path)!r} holds no tensors")
    # A VideoClassifier's own state dict (or Lightning checkpoint): keep the backbone part.
    prefix = "backbone."
    if any(k.startswith(prefix) for k in state):
        state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    return state


def _is_head_key(key: str, projection: str) -> bool:
    return key.startswith(projection + ".")


def _load_backbone_state(
    model: nn.Module, state_dict: Mapping[str, torch.Tensor], info: BackboneInfo, *, source: Path
) -> None:
    """Load every backbone key strictly; head keys only where their shapes fit."""
    own = model.state_dict()
    to_load = {
        k: v
        for k, v in state_dict.items()
        if not _is_head_key(k, info.projection) or (k in own and own[k].shape == v.shape)
    }
    try:
        result = model.load_state_dict(to_load, strict=False)
    except RuntimeError as error:
        raise RuntimeError(
            f"weights in {str(source)!r} do not fit backbone {info.name!r}: {error}"
        ) from error
    missing = [k for k in result.missing_keys if not _is_head_key(k, info.projection)]
    unexpected = list(result.unexpected_keys)
    if missing or unexpected:
        raise RuntimeError(
            f"weights in {str(source)!r} do not fit backbone {info.name!r}: "
            f"{len(missing)} missing keys {missing[:5]}, {len(unexpected)} unexpected keys "
            f"{unexpected[:5]}"
        )


# ---------------------------------------------------------------------------- adapters


def pack_pathways(frames: torch.Tensor, alpha: int) -> list[torch.Tensor]:
    """Split one clip into SlowFast's ``[slow, fast]`` pathways (PyTorchVideo's ``PackPathway``).

    Args:
        frames: ``(B, C, T, H, W)``; ``T`` must be a multiple of ``alpha``.
        alpha: Frame-rate ratio between the pathways.

    Returns:
        ``[slow, fast]``: ``T // alpha`` frames evenly spaced over the clip, and all frames.
    """
    if frames.dim() != 5 or frames.shape[2] % alpha != 0:
        raise ValueError(
            f"SlowFast needs (B, C, T, H, W) clips with T a multiple of {alpha}, got shape "
            f"{tuple(frames.shape)}"
        )
    num_frames = frames.shape[2]
    index = torch.linspace(0, num_frames - 1, num_frames // alpha, device=frames.device).long()
    slow = torch.index_select(frames, 2, index)
    return [slow, frames]


# PyTorchVideo's constructors re-initialise weights and (through ``set_attributes(self,
# locals())``) reset ``__class__``, so the adapters below are not built through ``__init__``:
# the built model's class is swapped for a subclass that only changes ``forward`` (the same move
# as ``torch.nn.utils.parametrize``). Submodules, weights and state-dict keys stay the authors'.


@functools.cache
def _slowfast_class() -> type[nn.Module]:
    from pytorchvideo.models.net import Net

    class SlowFastNet(Net):
        """PyTorchVideo's SlowFast ``Net`` taking one ``(B, C, T, H, W)`` clip."""

        alpha: int = 4

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(pack_pathways(x, self.alpha))

    return _as_module_attribute(SlowFastNet)


@functools.cache
def _framewise_mvit_class() -> type[nn.Module]:
    from pytorchvideo.models.vision_transformers import MultiscaleVisionTransformers

    class FramewiseMViT(MultiscaleVisionTransformers):
        """An image MViT applied to every frame of a clip; features averaged over time."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            batch, channels, frames, height, width = x.shape
            images = x.transpose(1, 2).reshape(batch * frames, channels, height, width)
            features = super().forward(images)
            return features.reshape(batch, frames, *features.shape[1:]).mean(dim=1)

    return _as_module_attribute(FramewiseMViT)


def _as_module_attribute(cls: type[nn.Module]) -> type[nn.Module]:
    # Picklable (torch.save of a whole model, spawn-based multiprocessing): pickle finds the
    # class as `fastvid.models.registry.<name>` through the module's __getattr__ below.
    cls.__module__ = __name__
    cls.__qualname__ = cls.__name__
    return cls


_ADAPTER_CLASSES: dict[str, Callable[[], type[nn.Module]]] = {
    "SlowFastNet": _slowfast_class,
    "FramewiseMViT": _framewise_mvit_class,
}


def __getattr__(name: str) -> Any:
    factory = _ADAPTER_CLASSES.get(name)
    if factory is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return factory()


def _adapt_class(model: nn.Module, adapter: type[nn.Module]) -> nn.Module:
    if not isinstance(model, adapter.__mro__[1]):
        raise TypeError(f"cannot adapt {type(model).__name__} with {adapter.__name__}")
    model.__class__ = adapter
    return model


# ---------------------------------------------------------------------------- PyTorchVideo


# Hub models whose forward needs adapting to one (B, C, T, H, W) clip.
_HUB_ADAPTERS: dict[str, Callable[[], type[nn.Module]]] = {
    "slowfast_r50": _slowfast_class,
    "slowfast_r101": _slowfast_class,
    "slowfast_16x8_r101_50_50": _slowfast_class,
    "mvit_base_16": _framewise_mvit_class,
}


def _pytorchvideo_builder(hub_name: str) -> Callable[..., nn.Module]:
    def build(**kwargs: Any) -> nn.Module:
        import fastvid._compat.pytorchvideo as compat

        compat.install()
        with warnings.catch_warnings():
            # PyTorchVideo decorates helpers with torch.jit.script at import time; the
            # deprecation warning that triggers is not actionable for fastvid users.
            warnings.filterwarnings("ignore", message=".*torch.jit.script", category=FutureWarning)
            from pytorchvideo.models import hub

        model: nn.Module = getattr(hub, hub_name)(pretrained=False, **kwargs)
        adapter = _HUB_ADAPTERS.get(hub_name)
        return model if adapter is None else _adapt_class(model, adapter())

    build.__name__ = f"build_{hub_name}"
    build.__doc__ = f"``pytorchvideo.models.hub.{hub_name}`` with random weights."
    return build


class _Entry(NamedTuple):
    projection: str
    min_input: tuple[int, int, int]
    native_input: tuple[int, int, int]
    weights: str
    max_input: tuple[int | None, int | None, int | None] = (None, None, None)


_K400 = f"{_PYTORCHVIDEO_ZOO}/kinetics"
_ANY_CLIP = (1, 1, 1)
_MVIT_16 = (16, 224, 224)
_MVIT_32 = (32, 224, 224)
_PYTORCHVIDEO_ENTRIES: dict[str, _Entry] = {
    "x3d_xs": _Entry("blocks.5.proj", _ANY_CLIP, (4, 160, 160), f"{_K400}/X3D_XS.pyth"),
    "x3d_s": _Entry("blocks.5.proj", _ANY_CLIP, (13, 160, 160), f"{_K400}/X3D_S.pyth"),
    "x3d_m": _Entry("blocks.5.proj", _ANY_CLIP, (16, 224, 224), f"{_K400}/X3D_M.pyth"),
    "x3d_l": _Entry("blocks.5.proj", _ANY_CLIP, (16, 312, 312), f"{_K400}/X3D_L.pyth"),
    "slow_r50": _Entry("blocks.5.proj", _ANY_CLIP, (8, 224, 224), f"{_K400}/SLOW_8x8_R50.pyth"),
    # C2D and I3D pool time by 2 after the stem: at least 2 frames.
    "c2d_r50": _Entry("blocks.6.proj", (2, 1, 1), (8, 224, 224), f"{_K400}/C2D_8x8_R50.pyth"),
    "i3d_r50": _Entry("blocks.6.proj", (2, 1, 1), (8, 224, 224), f"{_K400}/I3D_8x8_R50.pyth"),
    "csn_r101": _Entry("blocks.5.proj", _ANY_CLIP, (32, 224, 224), f"{_K400}/CSN_32x2_R101.pyth"),
    "r2plus1d_r50": _Entry(
        "blocks.5.proj", _ANY_CLIP, (16, 224, 224), f"{_K400}/R2PLUS1D_16x4_R50.pyth"
    ),
    # SlowFast: T is a multiple of 4 (the slow pathway gets T // 4 frames).
    "slowfast_r50": _Entry(
        "blocks.6.proj", (4, 1, 1), (32, 224, 224), f"{_K400}/SLOWFAST_8x8_R50.pyth"
    ),
    "slowfast_r101": _Entry(
        "blocks.6.proj", (4, 1, 1), (32, 224, 224), f"{_K400}/SLOWFAST_8x8_R101.pyth"
    ),
    "slowfast_16x8_r101_50_50": _Entry(
        "blocks.6.proj", (4, 1, 1), (64, 224, 224), f"{_K400}/SLOWFAST_16x8_R101_50_50.pyth"
    ),
    "efficient_x3d_xs": _Entry(
        "projection.model",
        _ANY_CLIP,
        (4, 160, 160),
        f"{_K400}/efficient_x3d_xs_original_form.pyth",
    ),
    "efficient_x3d_s": _Entry(
        "projection.model",
        _ANY_CLIP,
        (13, 160, 160),
        f"{_K400}/efficient_x3d_s_original_form.pyth",
    ),
    # Absolute position embeddings: one clip size only.
    "mvit_base_16x4": _Entry(
        "head.proj", _MVIT_16, _MVIT_16, f"{_K400}/MVIT_B_16x4.pyth", _MVIT_16
    ),
    "mvit_base_32x3": _Entry(
        "head.proj", _MVIT_32, _MVIT_32, f"{_K400}/MVIT_B_32x3_f294077834.pyth", _MVIT_32
    ),
    # An ImageNet image model: applied frame by frame, features averaged over time.
    "mvit_base_16": _Entry(
        "head.proj",
        (1, 224, 224),
        (1, 224, 224),
        f"{_PYTORCHVIDEO_ZOO}/imagenet/MVIT_B_16_f292487636.pyth",
        (None, 224, 224),
    ),
}

for _name, _entry in _PYTORCHVIDEO_ENTRIES.items():
    register_backbone(
        _name,
        source="pytorchvideo",
        projection=_entry.projection,
        min_input=_entry.min_input,
        max_input=_entry.max_input,
        native_input=_entry.native_input,
        weights_url=_entry.weights,
        # efficient_x3d files are bare state dicts; the others are PySlowFast checkpoints.
        weights_key=None if _name.startswith("efficient_x3d") else "model_state",
    )(_pytorchvideo_builder(_name))


# ---------------------------------------------------------------------------- torchvision


def _torchvision_builder(tv_name: str) -> Callable[..., nn.Module]:
    def build(**kwargs: Any) -> nn.Module:
        import torchvision.models.video as video_models

        model: nn.Module = getattr(video_models, tv_name)(weights=None, **kwargs)
        return model

    build.__name__ = f"build_{tv_name}"
    build.__doc__ = f"``torchvision.models.video.{tv_name}`` with random weights."
    return build


_R18 = (16, 112, 112)
_SWIN = (32, 224, 224)
_TORCHVISION_ENTRIES: dict[str, _Entry] = {
    "r3d_18": _Entry("fc", _ANY_CLIP, _R18, "r3d_18-b3b3357e.pth"),
    "mc3_18": _Entry("fc", _ANY_CLIP, _R18, "mc3_18-a90a0ba3.pth"),
    "r2plus1d_18": _Entry("fc", _ANY_CLIP, _R18, "r2plus1d_18-91a641e6.pth"),
    "s3d": _Entry("classifier.1", (5, 17, 17), (128, 224, 224), "s3d-d76dad2f.pth"),
    "mvit_v1_b": _Entry("head.1", _MVIT_16, _MVIT_16, "mvit_v1_b-dbeb1030.pth", _MVIT_16),
    "mvit_v2_s": _Entry("head.1", _MVIT_16, _MVIT_16, "mvit_v2_s-ae3be167.pth", _MVIT_16),
    "swin3d_t": _Entry("head", _ANY_CLIP, _SWIN, "swin3d_t-7615ae03.pth"),
    "swin3d_s": _Entry("head", _ANY_CLIP, _SWIN, "swin3d_s-da41c237.pth"),
    "swin3d_b": _Entry("head", _ANY_CLIP, _SWIN, "swin3d_b_1k-24f7c7c6.pth"),
}

for _name, _entry in _TORCHVISION_ENTRIES.items():
    register_backbone(
        _name,
        source="torchvision",
        projection=_entry.projection,
        min_input=_entry.min_input,
        max_input=_entry.max_input,
        native_input=_entry.native_input,
        weights_url=f"{_TORCHVISION_ZOO}/{_entry.weights}",
        weights_key=None,
    )(_torchvision_builder(_name))
