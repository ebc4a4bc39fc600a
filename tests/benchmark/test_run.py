"""``fastvid bench PATH``'s run: which loaders, the same clips for all, files a loader cannot
read, fastvid's routes. The rows' timing is replaced here (``test_installed_wheel`` times real
ones)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fastvid.benchmark import _run, parse_options
from fastvid.benchmark.loaders import RowJob, RowResult, Workload, frame_check
from fastvid.testing import make_dataset


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    return make_dataset(root, splits=None, per_class=2, size=(64, 48), duration=2.2, fps=10)


def test_every_installed_loader_by_default_fastvid_always_and_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = {"torchcodec.decoders": "torchcodec is not usable here (no FFmpeg)"}
    monkeypatch.setattr(_run, "available", lambda module: missing.get(module, ""))
    run, skipped = _run.choose_loaders(None)
    assert run == ["pytorchvideo", "decord", "spdl", "fastvid"]
    assert skipped == {"torchcodec": "torchcodec is not usable here (no FFmpeg)"}
    run, skipped = _run.choose_loaders(("fastvid", "torchcodec", "pytorchvideo"))
    assert run == ["pytorchvideo", "fastvid"] and list(skipped) == ["torchcodec"]
    assert _run.choose_loaders(("decord",))[0] == ["decord", "fastvid"]


def _fake_run_job(seen: list[tuple[str, list[str]]]) -> Any:
    def run_job(job: RowJob, work: Workload) -> RowResult:
        seen.append((job.row, [path for path, _ in work.pairs]))
        rate = 40.0 if job.row == "fastvid" else 10.0
        return RowResult(
            work.name, job.row, job.device, job.config, clips=work.num_clips, clips_per_s=rate
        )

    return run_job


def test_a_file_a_loader_cannot_read_is_reported_and_left_out_for_all(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pytorchvideo(request: Any) -> np.ndarray:
        if request.path.endswith("b_0.webm"):
            raise RuntimeError("moov atom not found")
        return frame_check.pytorchvideo_frames(request)

    monkeypatch.setattr(frame_check, "_decoders", lambda: {"pytorchvideo": pytorchvideo})
    seen: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(_run, "run_job", _fake_run_job(seen))
    options = parse_options(
        [str(tree), "--loaders", "pytorchvideo", "--short-side", "48", "--size", "40"]
    )
    payload = _run.run_folder_bench(options, log=lambda _: None)

    timed = [p for p in (str(tree / c / f"{c}_{i}.webm") for c in "ab" for i in (0, 1))]
    timed.remove(str(tree / "b" / "b_0.webm"))
    assert seen == [("pytorchvideo", timed), ("fastvid", timed)]  # the same files for both
    videos = {Path(v["path"]).name: v for v in payload["videos"]}
    assert videos["b_0.webm"]["clips"] == 0
    assert videos["b_0.webm"]["unreadable_by"] == {
        "pytorchvideo": "RuntimeError: moov atom not found"
    }
    assert all(videos[Path(p).name]["clips"] == 1 for p in timed)
    assert payload["workload"]["clips"] == 3 and payload["workload"]["videos"] == 3
    assert any("left out of the timed run" in note for note in payload["notes"])
    check = payload["rows"][0]["params"]["frame_check"]
    assert check["same"] is True and check["max_mean_abs_diff"] == 0
    assert payload["ratios"] == {"pytorchvideo": 4.0}
    # no fastvid row reported its routes here: they come from a loader set up for the files
    assert payload["route_counts"] == {"PyAV": 3}
    assert {videos[Path(p).name]["route"] for p in timed} == {"PyAV"}


def test_workers_apply_to_every_loader(tree: Path) -> None:
    from fastvid.benchmark.loaders import make_workload
    from fastvid.data.index import VideoIndex

    paths = [str(tree / "a" / "a_0.webm")]
    work = make_workload(
        "t", [(paths[0], 0)], batch_size=1, index=VideoIndex.build(paths, progress=False), codec=""
    )
    assert _run._job("pytorchvideo", work, 0).params == {"num_workers": 0}
    assert _run._job("torchcodec", work, 0).params == {"num_workers": 0, "num_ffmpeg_threads": 0}
    assert _run._job("decord", work, 3).params == {"num_workers": 3, "threads": 1}
    assert _run._job("fastvid", work, 2).params["num_workers"] == 2
    assert _run._job("fastvid", work, 0).params["num_workers"] is None  # fastvid's own choice
