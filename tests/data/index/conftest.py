"""Fixtures of the index tests: one module-wide set of small videos, a dataset folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fastvid.testing import make_video
from tests.data.index import SMALL, VIDEOS


@pytest.fixture(scope="package")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("videos")
    return {
        name: str(make_video(root / name, **{**SMALL, **options}))  # type: ignore[arg-type]
        for name, options in VIDEOS.items()
    }


@pytest.fixture
def dataset(videos: dict[str, str], tmp_path: Path) -> list[Path]:
    root = tmp_path / "data"
    root.mkdir()
    paths = []
    for name in ("h264.mp4", "vp9.webm", "vfr.mp4"):
        paths.append(root / name)
        shutil.copy(videos[name], paths[-1])
    return paths
