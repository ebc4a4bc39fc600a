"""Video backbones by name: PyTorchVideo's model zoo and torchvision's video models.

A registry in the style of timm's: a private dict of entries, a :func:`register_backbone`
decorator, :func:`list_backbones` with an ``fnmatch`` filter and :func:`create_backbone`. An
unknown name raises ``ValueError`` listing the close matches.

Every entry builds the authors' model with random weights, then fastvid

* replaces its final projection (Kinetics' 400 classes) with ``nn.Identity`` (a feature
  extractor) or a fresh projection for ``num_classes`` (see :mod:`fastvid.models.heads`);
* removes the ``Softmax`` some PyTorchVideo heads end with, so outputs are logits;
* makes fixed-kernel head pools accept smaller clips (identical at and above the kernel size);
* adapts models that need it to one ``(B, C, T, H, W)`` clip (:mod:`fastvid.models.adapters`).

Published weights download into ``torch.hub``'s cache on first use (:mod:`fastvid.models.weights`).
The built-in entries are
:mod:`fastvid.models.catalog_pytorchvideo` and :mod:`fastvid.models.catalog_torchvision`.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from torch import nn

from fastvid._validate import check_choice, check_optional_int, check_type
from fastvid.models import catalog_pytorchvideo, catalog_torchvision, weights
from fastvid.models.backbone import SOURCES, BackboneInfo, Source, WeightsURL
from fastvid.models.heads import clamp_avg_pools, drop_head_activation, replace_projection

__all__ = [
    "BackboneInfo",
    "backbone_info",
    "create_backbone",
    "download_weights",
    "list_backbones",
    "register_backbone",
]

Builder = TypeVar("Builder", bound=Callable[..., nn.Module])

_BUILT_IN = (*catalog_pytorchvideo.backbones(), *catalog_torchvision.backbones())
_BACKBONES: dict[str, BackboneInfo] = {info.name: info for info in _BUILT_IN}


def register_backbone(
    name: str,
    *,
    source: Source,
    projection: str,
    min_input: tuple[int, int, int],
    max_input: tuple[int | None, int | None, int | None] = (None, None, None),
    native_input: tuple[int, int, int] | None = None,
    weights_url: WeightsURL = None,
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
        weights_url: URL of the published weights, or a function returning it (called once,
            when first needed). Default: ``None``.
        weights_key: Key of the state dict inside that checkpoint. Default: ``None``.

    Returns:
        A decorator that registers the builder and returns it unchanged.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"backbone name must be a non-empty str, got {name!r}")
    if name in _BACKBONES:
        raise ValueError(f"backbone {name!r} is already registered")
    check_choice("source", source, SOURCES)
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
            weights_source=weights_url,
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
    check_type("filter", filter, str, what="a str or None")
    return [n for n in names if fnmatch.fnmatchcase(n.lower(), filter.lower())]


def backbone_info(name: str) -> BackboneInfo:
    """The registry entry for ``name``.

    Raises:
        ValueError: If ``name`` is not registered; the message lists close matches or, failing
            those, every registered name.
    """
    check_type("backbone name", name, str, what="a str")
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
        pretrained: ``False`` for random weights; ``True`` for the published weights from
            ``torch.hub``'s cache, downloaded there on first use (progress bar, hash checked
            where the file name carries one); a path for a local checkpoint. Default: ``False``.
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
        FileNotFoundError: ``pretrained`` weights are not on disk and cannot be downloaded (the
            message names the URL and where to put the file).
        RuntimeError: The checkpoint does not fit the backbone.
    """
    info = backbone_info(name)
    weights_file = weights.resolve_weights_file(info, pretrained)
    check_optional_int("num_classes", num_classes, minimum=1)
    model = info.builder(**kwargs)
    clamp_avg_pools(model)
    drop_head_activation(model, info.projection)
    num_features = replace_projection(model, info.projection, num_classes)
    if weights_file is not None:
        weights.load_weights(model, weights_file, info, official=pretrained is True)
    return model, num_features


def download_weights(name: str, *, progress: bool = True) -> Path:
    """Download a backbone's published weights into ``torch.hub``'s cache ahead of use.

    :func:`create_backbone` downloads them on first use anyway; call this to fill a cache that
    an offline machine will use (copy the file to the path it returns there).

    Args:
        name: A name from :func:`list_backbones`.
        progress: Show a progress bar on stderr. Default: ``True``.

    Returns:
        The cached file (:attr:`BackboneInfo.weights_path`); an existing file is kept.
    """
    return weights.download(backbone_info(name), progress=progress)


def _validate_thw(what: str, value: tuple[int, int, int]) -> None:
    ok = isinstance(value, tuple) and len(value) == 3
    if not ok or not all(isinstance(v, int) and v > 0 for v in value):
        raise ValueError(f"{what} ({value!r}) must be a (T, H, W) tuple of positive ints")


def __getattr__(name: str) -> Any:
    # Whole models pickled before the adapters had their own module name them here.
    from fastvid.models import adapters

    if name in adapters.ADAPTER_CLASSES:
        return getattr(adapters, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
