"""The skip report: counts per file, per kind of problem and per epoch, and its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastvid.reader.errors import SkippedClip
from fastvid.reader.report import SkipReport, reason_kind


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("the file is empty (0 bytes); re-download or remove it", "empty"),
        ("the file was deleted or moved after it was indexed: /x.mp4", "missing"),
        ("the file changed since it was indexed (rewritten); build the index again", "changed"),
        ("it is a still image (png), not a video", "still_image"),
        ("it has no video stream (streams: ['audio'])", "no_video_stream"),
        ("frames [59] of 60 were never decoded (the stream ended before them)", "truncated"),
        ("DALI could not decode it (Failed to create video decoder)", "decode_error"),
        ("something nobody foresaw", "other"),
    ],
)
def test_reasons_have_kinds(reason: str, kind: str) -> None:
    assert reason_kind(reason) == kind


def test_a_report_counts_files_kinds_and_epochs_and_round_trips_to_json(tmp_path: Path) -> None:
    skipped = [
        SkippedClip("/d/a.mp4", "the file is empty (0 bytes); re-download or remove it"),
        SkippedClip("/d/b.mp4", "frames [3] of 9 were never decoded", epoch=0, clip_index=1),
        SkippedClip("/d/b.mp4", "frames [3] of 9 were never decoded", epoch=1, clip_index=1),
    ]
    report = SkipReport.from_skipped(skipped, epoch=1)
    assert report.count == 3 and report.num_files == 2
    assert report.by_kind == {"truncated": 2, "empty": 1}
    assert report.by_epoch == {0: 1, 1: 1}
    assert report.files["/d/b.mp4"].epochs == (0, 1)
    written = report.write(tmp_path / "skipped.json")
    assert json.loads(written.read_text()) == report.to_dict()
    assert report.summary().startswith("3 clips skipped in 2 files (")


def test_an_empty_report() -> None:
    report = SkipReport.from_skipped([])
    assert report.count == 0 and report.num_files == 0 and report.by_kind == {}
