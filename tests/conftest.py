"""Shared fixtures and the ``needs_cuda`` marker.

Tests marked ``needs_cuda`` are skipped without a usable NVIDIA GPU. On a GPU machine set
``FASTVID_REQUIRE_CUDA=1`` to turn that skip into a failure, so a broken CUDA set-up cannot
pass silently.
"""

from __future__ import annotations

import os

import pytest
import torch

import fastvid  # noqa: F401  (installs the pytorchvideo/kornia shims before tests import them)


def _cuda_usable() -> bool:
    try:
        return torch.cuda.is_available() and torch.cuda.device_count() > 0
    except Exception:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    if "needs_cuda" not in item.keywords or _cuda_usable():
        return
    if os.environ.get("FASTVID_REQUIRE_CUDA") == "1":
        pytest.fail("FASTVID_REQUIRE_CUDA=1 but no usable CUDA device")
    pytest.skip("needs an NVIDIA GPU (CUDA not available)")
