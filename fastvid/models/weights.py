"""Backbone weights: find them on disk, read any checkpoint layout, load strictly, download.

Weights never download implicitly. ``pretrained=True`` reads the file that ``torch.hub`` would
have cached (``<torch.hub.get_dir()>/checkpoints/<file name of the URL>``); if it is missing the
error names that path and the URL to fetch it from. ``pretrained="file.pt"`` loads a local state
dict (plain, PyTorchVideo's ``{"model_state": ...}``, or a Lightning checkpoint of a
``VideoClassifier``), strictly on the backbone's keys and ignoring head keys.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from fastvid.models.backbone import BackboneInfo

__all__ = ["download", "load_weights", "resolve_weights_file"]

# Where a checkpoint may keep its state dict, tried in this order after ``weights_key``.
_STATE_DICT_KEYS: tuple[str, ...] = ("model_state", "state_dict", "model")


def resolve_weights_file(info: BackboneInfo, pretrained: object) -> Path | None:
    """The weights file ``pretrained`` asks for: ``None`` for random weights.

    Raises:
        ValueError: ``pretrained=True`` but the backbone has no published weights.
        FileNotFoundError: The file is not on disk (for published weights, the message names
            the exact path and URL).
        TypeError: ``pretrained`` is neither a bool nor a path.
    """
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


def load_weights(model: nn.Module, path: Path, info: BackboneInfo, *, official: bool) -> None:
    """Load the backbone part of the checkpoint at ``path`` into ``model`` (built by ``info``).

    Args:
        model: The built backbone, projection already replaced.
        path: The checkpoint.
        info: The backbone's registry entry.
        official: The published file (unpickled as ``torch.hub`` would); else a user's file
            (``torch.load``'s safe ``weights_only`` default).

    Raises:
        RuntimeError: The file is unreadable, holds no state dict, or does not fit.
    """
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=not official)
    except Exception as error:
        raise RuntimeError(
            f"cannot read weights file {str(path)!r}: {error}. Save weights with "
            "torch.save(module.state_dict(), path)"
        ) from error
    state_dict = _unwrap_state_dict(checkpoint, info.weights_key, path)
    _load_backbone_state(model, state_dict, info, source=path)


def download(info: BackboneInfo, *, progress: bool) -> Path:
    """Download ``info``'s published weights into ``torch.hub``'s cache; keep an existing file."""
    path = info.weights_path
    if info.weights_url is None or path is None:
        raise ValueError(f"backbone {info.name!r} has no published weights")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        # torchvision names its files <name>-<sha256 prefix>.pth, which torch.hub verifies.
        match = torch.hub.HASH_REGEX.search(path.name) if info.source == "torchvision" else None
        hash_prefix = match.group(1) if match else None
        torch.hub.download_url_to_file(
            info.weights_url, str(path), hash_prefix=hash_prefix, progress=progress
        )
    return path


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
