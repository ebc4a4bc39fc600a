"""Shared fixtures and the ``needs_cuda`` marker.

Tests marked ``needs_cuda`` are skipped without a usable NVIDIA GPU. On a GPU machine set
``FASTVID_REQUIRE_CUDA=1`` to turn that skip into a failure, so a broken CUDA set-up cannot
pass silently.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session", autouse=True)
def one_core_by_default() -> Iterator[None]:
    """Loaders that leave their worker and thread counts to fastvid plan them for one core.

    On the 2-core CI machine fastvid's default gives a loader of PyAV-decoded files two worker
    processes, and each worker costs ~3 CPU-seconds to start and stop: most of the suite's
    time. What a loader yields does not depend on its worker count (``tests/reliability/
    test_determinism.py`` and ``tests/reader/test_resume.py`` check that with 1 and 2 workers),
    and the tests of the pool, resume, determinism, crashes and hangs pass ``num_workers``
    themselves, which this leaves alone. ``tests/reader/test_budget.py`` checks the rules for
    more cores. Session-wide, so loaders built by module and session fixtures follow it too.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("fastvid.reader.workers.budget.usable_cores", lambda: 1)
        yield


# -- remote storage: real servers on loopback (started on first use, once per session) ------


@pytest.fixture(scope="session")
def remote_tree(tmp_path_factory: pytest.TempPathFactory):
    """A small class-per-folder tree (H.264 MP4 and VP9 WebM) and a CSV list of it."""
    import shutil

    from fastvid.testing import make_video

    root = tmp_path_factory.mktemp("remote") / "data"
    files = {"a/a_0.mp4": "h264", "a/a_1.mp4": "h264", "b/b_0.webm": "vp9",
             "b/deeper/b_1.webm": "vp9"}  # fmt: skip
    for seed, (name, codec) in enumerate(files.items()):
        make_video(root / name, codec=codec, size=(96, 72), duration=2.0, gop=15, seed=seed)
    shutil.copy(root / "a/a_0.mp4", root / "a/.hidden.mp4")  # ignored, locally and remotely
    videos = sorted(files)
    (root / "list.csv").write_text("".join(f"{v} {v.split('/')[0]}\n" for v in videos))
    return root


@pytest.fixture(scope="session")
def http_server(remote_tree):
    """:class:`~fastvid.testing.servers.RangeHTTPServer` serving ``remote_tree``'s parent."""
    from fastvid.testing.servers import RangeHTTPServer

    with RangeHTTPServer(remote_tree.parent) as server:
        yield server


@pytest.fixture(scope="session")
def s3_server(remote_tree):
    """moto's S3 on loopback with ``remote_tree`` uploaded to ``s3://fastvid-test/data``."""
    pytest.importorskip("moto")
    pytest.importorskip("s3fs")
    from fastvid.testing.servers import S3Server

    with S3Server() as server:
        server.upload(remote_tree, "fastvid-test", "data")
        yield server


# -- `fastvid gpu-check --quick`: run once, checked by tests/test_cli.py and test_gpu_check.py --


@dataclass(frozen=True)
class GpuCheckRun:
    """One ``fastvid gpu-check --quick`` command: what it returned, printed, wrote and built.

    Attributes:
        code: The command's exit status.
        out: What it printed.
        json_path: Its ``--json`` file.
        workdir: Its ``--workdir`` (the fixture videos stay there, under ``videos/``).
        report: The :class:`~fastvid.gpu_check.GpuCheckReport` behind the printed report.
    """

    code: int
    out: str
    json_path: Path
    workdir: Path
    report: Any


@pytest.fixture(scope="session")
def gpu_check_quick(tmp_path_factory: pytest.TempPathFactory) -> GpuCheckRun:
    """``fastvid gpu-check --quick`` without CUDA (the CPU half), run through the command line.

    The check takes tens of seconds, so the command-line test and the report's tests share
    this one run; the report object is taken from the command as it returns it.
    """
    if _cuda_usable():
        pytest.skip("CUDA is usable: the CPU-half tests are for machines without a GPU")
    import fastvid.gpu_check._cli as gpu_check_cli
    from fastvid.cli import main

    workdir = tmp_path_factory.mktemp("gpu_check")
    json_path = workdir / "report.json"
    reports: list[Any] = []
    run_gpu_check = gpu_check_cli.run_gpu_check

    def keep_report(*args: Any, **kwargs: Any) -> Any:
        reports.append(run_gpu_check(*args, **kwargs))
        return reports[-1]

    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setattr(gpu_check_cli, "run_gpu_check", keep_report)
        argv = ["gpu-check", "--quick", "--workdir", str(workdir), "--out", str(workdir / "report")]
        code = main([*argv, "--json", str(json_path)])
    (report,) = reports
    return GpuCheckRun(code, printed.getvalue(), json_path, workdir, report)
