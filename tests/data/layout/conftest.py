"""The layout tests' dataset tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.data.layout import touch


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    touch(
        root,
        "bowling/b2.mp4",
        "bowling/b1.avi",
        "archery/z.mp4",
        "archery/takes/t1.mp4",
        "archery/takes b/t0.mp4",  # " " sorts before "/": PyTorchVideo order is by folder path
        "archery/a.avi",
        "archery/deep/er/d.mp4",
    )
    return root
