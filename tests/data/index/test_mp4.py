"""MP4/MOV display rotation read from the boxes, against PyAV's decoded ``frame.rotation``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastvid.data.index._mp4 import matrix_rotation, mp4_rotation
from tests.data.index import decoded


@pytest.mark.parametrize("name", ["h264.mp4", "rot90.mp4", "rot180.mp4", "rot270.mp4"])
def test_rotation_matches_pyav(videos: dict[str, str], name: str) -> None:
    assert mp4_rotation(videos[name]) == decoded(videos[name])[2] % 360


def test_files_without_a_video_track_have_no_rotation(
    videos: dict[str, str], tmp_path: Path
) -> None:
    assert mp4_rotation(videos["vp9.webm"]) == 0  # no ISO-BMFF boxes at all
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(Path(videos["rot90.mp4"]).read_bytes()[:40])  # ftyp and half a box
    assert mp4_rotation(str(cut)) == 0
    assert mp4_rotation(str(tmp_path / "missing.mp4")) == 0


@pytest.mark.parametrize(
    ("matrix", "degrees"),
    [
        ((65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30), 0),
        ((0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30), 270),  # FFmpeg: -90 (clockwise)
        ((0, -65536, 0, 65536, 0, 0, 0, 0, 1 << 30), 90),
        ((-65536, 0, 0, 0, -65536, 0, 0, 0, 1 << 30), 180),
        ((0, 0, 0, 0, 0, 0, 0, 0, 0), 0),  # degenerate: no rotation
    ],
)
def test_matrix_rotation(matrix: tuple[int, ...], degrees: int) -> None:
    assert matrix_rotation(matrix) == degrees
