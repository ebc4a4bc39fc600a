"""``fastvid bench PATH``'s report: the loaders' table, the files and routes, the PNG."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest

from fastvid.benchmark import report
from fastvid.benchmark.loaders import SEED, RowResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _row(row: str, rate: float | None, **params: Any) -> dict[str, Any]:
    result = RowResult("videos", row, "cpu", "num_workers=2", clips=8, clips_per_s=rate)
    result.params = params
    if rate is None:
        result.status, result.reason = "failed", "RuntimeError: decoder | crashed"
    return result.to_json()


def _payload(root: str) -> dict[str, Any]:
    return {
        "command": "fastvid bench videos --sample 2",
        "started": "2026-12-07T21:00:00+00:00",
        "total_s": 12.0,
        "machine": report.machine_info(),
        "path": root,
        "layout": "class folders",
        "listed_videos": 3,
        "sample": {"files": 2, "minutes": None, "seed": 0},
        "clip_config": SEED.as_dict(),
        "batch_size": 4,
        "workers": None,
        "workload": {"videos": 2, "clips": 8, "frames_per_clip": 8, "minutes": 0.3},
        "loaders": {"run": ["pytorchvideo", "decord", "fastvid"], "skipped": {"spdl": "no spdl"}},
        "videos": [
            {
                "path": f"{root}/a/x.mp4",
                "codec": "h264",
                "pix_fmt": "yuv420p",
                "size": "1280x720",
                "fps": 30.0,
                "duration_s": 10.0,
                "route": "NVDEC",
                "route_reason": "",
                "clips": 5,
                "unreadable_by": {},
            },
            {
                "path": f"{root}/b/y.mp4",
                "route": "PyAV",
                "route_reason": "10-bit",
                "clips": 0,
                "unreadable_by": {"decord": "DECORDError: cannot open"},
            },
        ],
        "route_counts": {"NVDEC": 1},
        "rows": [
            _row("pytorchvideo", 2.0, frame_check={"same": True, "max_mean_abs_diff": 0.4}),
            _row("decord", 8.0, frame_check={"same": False, "max_mean_abs_diff": 41.0}),
            _row("fastvid", 20.0),
        ],
        "ratios": {"pytorchvideo": 10.0, "decord": 2.5},
        "notes": ["1 file(s) some loader could not read are left out"],
    }


def test_the_table_gives_ratios_same_frames_and_skips() -> None:
    lines = report.folder_table(_payload("/data"))
    ptv, decord, fastvid, spdl = lines[2:]
    assert "| 2.00 | 10.00x |" in ptv and "| yes (≤0.4) |" in ptv
    assert "| 2.50x |" in decord and "no (max diff 41.0 of 255)" in decord
    assert "| 20.00 | – |" in fastvid and "| reference |" in fastvid
    assert spdl.startswith("| spdl |") and spdl.endswith("skipped: no spdl |")


def test_a_failed_row_keeps_the_table_intact() -> None:
    payload = _payload("/data")
    payload["rows"][1] = _row("decord", None)
    decord = report.folder_table(payload)[3]
    assert decord.count("|") == 11  # the reason's "|" is escaped
    assert "failed: RuntimeError: decoder / crashed" in decord


def test_the_report_files(tmp_path: Path) -> None:
    written = report.write_folder_report(tmp_path / "out", _payload("/data"))
    assert [p.name for p in written] == ["bench.json", "bench.md", "bench.png"]
    assert json.loads(written[0].read_text())["ratios"] == {"pytorchvideo": 10.0, "decord": 2.5}
    markdown = written[1].read_text()
    assert "## fastvid's decoder routes: NVDEC 1" in markdown
    assert "| a/x.mp4 | h264 yuv420p | 1280x720 | 30.0 | 10.0 | NVDEC | 5 | – |" in markdown
    assert "| b/y.mp4 |" in markdown and "PyAV (10-bit)" in markdown
    assert "decord: DECORDError: cannot open" in markdown
    assert "> 1 file(s) some loader could not read are left out" in markdown
    assert "`RandomShortSideScale(256, 320)`" in markdown and "`uniform` sampler" in markdown
    assert written[2].read_bytes().startswith(PNG_MAGIC)


def test_without_matplotlib_the_png_is_left_out_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    written = report.write_folder_report(tmp_path, _payload("/data"))
    assert [p.name for p in written] == ["bench.json", "bench.md"]
    assert "no bench.png: No module named 'matplotlib' (pip install matplotlib)" in (
        written[1].read_text()
    )
