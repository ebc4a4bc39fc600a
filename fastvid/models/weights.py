"""Backbone weights: download them as ``torch.hub`` does, read any checkpoint layout, load
strictly.

``pretrained=True`` uses the file ``torch.hub`` caches (``<torch.hub.get_dir()>/checkpoints/<file
name of the URL>``, so ``TORCH_HOME`` moves it), downloading it on first use with
``torch.hub.download_url_to_file``: a progress bar on stderr, a temporary file renamed only when
complete, and the SHA-256 checked where the file name carries a hash prefix
(``r3d_18-b3b3357e.pth``; ``torch.hub``'s ``check_hash`` rule). When the download fails
(offline, HTTP error) the ``FileNotFoundError`` names the URL and the cache path to put the file
at. ``pretrained="file.pt"`` loads a local state dict (plain, PyTorchVideo's
``{"model_state": ...}``, or a Lightning checkpoint of a ``VideoClassifier``), strictly on the
backbone's keys and ignoring head keys.
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


def resolve_weights_file(
    info: BackboneInfo, pretrained: object, *, progress: bool = True
) -> Path | None:
    """The weights file ``pretrained`` asks for (published weights downloaded on first use):
    ``None`` for random weights.

    Raises:
        ValueError: ``pretrained=True`` but the backbone has no published weights.
        FileNotFoundError: A local file is missing, or the published file is not cached and
            cannot be downloaded (the message names the URL and the cache path).
        RuntimeError: The downloaded file fails its hash check (nothing is kept).
        TypeError: ``pretrained`` is neither a bool nor a path.
    """
    if pretrained is False:
        return None
    if pretrained is True:
        if info.weights_url is None:
            raise ValueError(
                f"backbone {info.name!r} has no published weights; use pretrained=False or "
                "pretrained='path/to/state_dict.pt'"
            )
        return download(info, progress=progress)
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
    """``info``'s published weights in ``torch.hub``'s cache, downloaded unless already there.

    Raises:
        ValueError: The backbone has no published weights.
        FileNotFoundError: The download failed (offline, HTTP error): names URL and path.
        RuntimeError: The file fails its hash check.
    """
    url, path = info.weights_url, info.weights_path
    if url is None or path is None:
        raise ValueError(f"backbone {info.name!r} has no published weights")
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    match = torch.hub.HASH_REGEX.search(path.name)  # torch.hub's check_hash=True rule
    hash_prefix = match.group(1) if match else None
    try:
        torch.hub.download_url_to_file(url, str(path), hash_prefix=hash_prefix, progress=progress)
    except OSError as error:  # URLError (offline, DNS, refused), HTTPError, timeouts
        raise FileNotFoundError(
            f"cannot download the pretrained weights of {info.name!r} from {url} "
            f"({_reason(error)}); they are cached at {path} once downloaded. Offline? Fetch "
            f"the file elsewhere (`curl -L --create-dirs -o {path} {url}`, or "
            f"fastvid.models.download_weights({info.name!r})) and put it at exactly that path, "
            "point TORCH_HOME at a folder whose hub/checkpoints/ holds it, or pass "
            "pretrained=False / pretrained='path/to/file'"
        ) from error
    except RuntimeError as error:  # torch.hub: invalid hash value
        raise RuntimeError(
            f"the file downloaded from {url} for backbone {info.name!r} failed its hash check "
            f"and was not saved at {path}: {error}"
        ) from error
    return path


def _reason(error: OSError) -> str:
    reason = getattr(error, "reason", None)  # urllib's URLError wraps the socket error
    return str(reason if reason is not None else error)


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
