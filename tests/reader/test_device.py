"""Choosing where clips are decoded (this machine has no usable CUDA device)."""

from __future__ import annotations

import pytest

from fastvid.reader.device import gpu_unusable_reason, resolve_device


def test_auto_picks_the_cpu_here_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_unusable_reason() == "torch.cuda.is_available() is False"
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"


def test_gpu_without_cuda_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for name in ("gpu", "cuda"):
        with pytest.raises(RuntimeError, match=r"device='gpu' needs a usable NVIDIA GPU.*cpu"):
            resolve_device(name)


def test_force_cpu_wins_over_a_usable_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert gpu_unusable_reason() is None
    assert resolve_device("auto") == "gpu"
    monkeypatch.setenv("FASTVID_FORCE_CPU", "1")
    assert resolve_device("auto") == "cpu"


def test_unknown_device_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"device \('tpu'\) must be one of 'auto', 'gpu', 'cpu'"):
        resolve_device("tpu")
