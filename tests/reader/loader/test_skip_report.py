"""The skip report: counts per file, per kind of problem and per epoch, and its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastvid.reader.errors import SkippedClip
from fastvid.reader.loader.skip_report import SkipReport


def test_kinds_come_from_the_entries_not_from_their_text() -> None:
    """The report counts the kind each entry recorded where the problem was found: a reason
    that reads like another kind does not change it (the old report guessed from the text)."""
    skipped = [
        SkippedClip("/d/a.mp4", "the file is empty (0 bytes)", kind="empty"),
        SkippedClip("/d/b.mp4", "frames [3] were never decoded", 0, 1, "decode_error"),
        SkippedClip("/d/c.mp4", "preparing this clip took more than 2 s", 0, 0, "timeout"),
        SkippedClip("/d/c.mp4", "preparing this clip took more than 2 s", 0, 1, "timeout"),
    ]
    report = SkipReport.from_skipped(skipped)
    assert report.by_kind == {"timeout": 2, "empty": 1, "decode_error": 1}
    assert report.files["/d/c.mp4"].kinds == ("timeout",)
    assert report.to_dict()["files"]["/d/b.mp4"]["kinds"] == ["decode_error"]


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match=r"kind \('broken'\) must be one of missing, empty"):
        SkippedClip("/d/a.mp4", "?", kind="broken")  # type: ignore[arg-type]


def test_a_report_counts_files_kinds_and_epochs_and_round_trips_to_json(tmp_path: Path) -> None:
    skipped = [
        SkippedClip(
            "/d/a.mp4", "the file is empty (0 bytes); re-download or remove it", kind="empty"
        ),
        SkippedClip("/d/b.mp4", "frames [3] of 9 were never decoded", 0, 1, "truncated"),
        SkippedClip("/d/b.mp4", "frames [3] of 9 were never decoded", 1, 1, "truncated"),
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
