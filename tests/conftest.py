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
