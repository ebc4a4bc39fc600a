"""Choose where clips are decoded: NVDEC on a GPU, or the CPU."""

from __future__ import annotations

import logging
import os
from typing import Literal

import torch

__all__ = ["DeviceChoice", "gpu_unusable_reason", "resolve_device"]

logger = logging.getLogger(__name__)

DeviceChoice = Literal["auto", "gpu", "cpu"]
_announced: set[str] = set()


def gpu_unusable_reason() -> str | None:
    """Why CUDA cannot be used here (``None`` if it can)."""
    if os.environ.get("FASTVID_FORCE_CPU") == "1":
        return "FASTVID_FORCE_CPU=1"
    try:
        if not torch.cuda.is_available():
            return "torch.cuda.is_available() is False"
    except Exception as exc:  # broken driver installs raise here
        return f"CUDA check failed: {exc}"
    return None


def resolve_device(device: str) -> Literal["gpu", "cpu"]:
    """Turn ``"auto" | "gpu" | "cpu"`` into the device the reader runs on.

    ``"auto"`` picks the GPU when CUDA is usable and says once (log, INFO) which it chose and
    why. ``"gpu"`` without a usable GPU raises.

    Raises:
        ValueError: For a value other than ``"auto"``, ``"gpu"``, ``"cpu"`` (``"cuda"`` is
            accepted as ``"gpu"``).
        RuntimeError: For ``"gpu"`` on a machine without a usable CUDA device.
    """
    choice = {"cuda": "gpu"}.get(device, device)
    if choice not in ("auto", "gpu", "cpu"):
        raise ValueError(f"device ({device!r}) must be one of 'auto', 'gpu', 'cpu'")
    if choice == "cpu":
        return "cpu"
    reason = gpu_unusable_reason()
    if choice == "gpu":
        if reason is not None:
            raise RuntimeError(
                f"device='gpu' needs a usable NVIDIA GPU, but {reason}; "
                "use device='cpu' or device='auto'"
            )
        return "gpu"
    resolved: Literal["gpu", "cpu"] = "cpu" if reason else "gpu"
    message = (
        "fastvid: decoding on the GPU (NVDEC via DALI)"
        if resolved == "gpu"
        else f"fastvid: decoding on the CPU ({reason})"
    )
    if message not in _announced:
        _announced.add(message)
        logger.info(message)
    return resolved
