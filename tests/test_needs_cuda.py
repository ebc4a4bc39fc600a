"""The ``needs_cuda`` marker: skipped without a GPU, a failure with ``FASTVID_REQUIRE_CUDA=1``.

On the GPU machine ``benchmarks/gpu/device_check.sh`` runs the ``needs_cuda`` tests with
``FASTVID_REQUIRE_CUDA=1``, so a broken CUDA set-up there cannot pass as "all skipped". Here,
without a GPU, the same run must fail, and the run without the variable must skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
GPU_TESTS = ("tests/reader/loader/test_clip_loader_gpu.py", "tests/test_gpu_check.py")


def _pytest(*args: str, require: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FASTVID_REQUIRE_CUDA"}
    if require:
        env["FASTVID_REQUIRE_CUDA"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "needs_cuda", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_the_gpu_tests_are_marked_needs_cuda() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--collect-only",
            "-p",
            "no:cacheprovider",
            "-m",
            "needs_cuda",
            *GPU_TESTS,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    collected = [line for line in out.stdout.splitlines() if "::" in line]
    assert len(collected) >= 6, out.stdout + out.stderr
    assert all(line.startswith(GPU_TESTS) for line in collected)


@pytest.mark.skipif(torch.cuda.is_available(), reason="with a GPU the needs_cuda tests run")
def test_require_cuda_turns_the_skip_into_a_failure() -> None:
    one = (
        "tests/reader/loader/test_clip_loader_gpu.py"
        "::test_routing_sends_mjpeg_to_pyav_and_the_rest_to_nvdec"
    )
    required = _pytest(one, require=True)
    assert required.returncode == 1, required.stdout + required.stderr
    assert "FASTVID_REQUIRE_CUDA=1 but no usable CUDA device" in required.stdout
    assert "1 error" in required.stdout or "1 failed" in required.stdout, required.stdout

    plain = _pytest(one, require=False)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "1 skipped" in plain.stdout
