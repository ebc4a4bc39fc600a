"""``fastvid bench PATH`` from a wheel installed in a fresh virtual environment (no source tree).

The wheel is built from a copy of the package (``fastvid/``, ``pyproject.toml``, ``README.md``)
with setuptools' PEP 517 backend, installed with ``--no-deps`` into a new venv whose only view
of the shared venv's packages is a ``.pth`` line naming its site-packages (a path line does not
run that folder's own ``.pth`` files, so the shared venv's editable fastvid stays invisible).
Then the ``fastvid`` command the wheel installed benchmarks fastvid against PyTorchVideo on tiny
generated videos, one of them broken.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from fastvid.testing import make_dataset

ROOT = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_IMPORTS_BENCHMARKS = re.compile(r"^\s*(from|import)\s+benchmarks\b", re.MULTILINE)


def _run(args: list[str], *, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this tree's fastvid."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(
        ROOT / "fastvid", source / "fastvid", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    dist = work / "dist"
    build = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"
    _run([sys.executable, "-c", build, str(dist)], cwd=source)
    (found,) = dist.glob("fastvid-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed and the shared venv's packages on a .pth line."""
    folder = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(folder)], cwd=folder)
    python = folder / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    _run([*pip, "--no-deps", "--no-index", str(wheel)], cwd=folder)
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=folder,
    ).stdout.strip()
    shared = sysconfig.get_paths()["purelib"]  # the running interpreter's: the shared venv's
    Path(site, "shared_venv.pth").write_text(shared + "\n")
    return folder


def test_the_wheel_holds_what_bench_path_needs(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        sources = {n: archive.read(n).decode() for n in names if n.endswith(".py")}
    for module in (
        "fastvid/benchmark/__init__.py",
        "fastvid/benchmark/_run.py",
        "fastvid/benchmark/_options.py",
        "fastvid/benchmark/_sample.py",
        "fastvid/benchmark/loaders/rows.py",
        "fastvid/benchmark/loaders/workload.py",
        "fastvid/benchmark/report/_folder.py",
    ):
        assert module in names
    assert not any(n.startswith("benchmarks/") for n in names)
    importers = [
        n
        for n, text in sources.items()
        if n.startswith("fastvid/benchmark/")
        if _IMPORTS_BENCHMARKS.search(text)
    ]
    assert importers == []


def test_bench_path_runs_from_the_installed_wheel(venv: Path, tmp_path: Path) -> None:
    python = venv / "bin" / "python"
    where = _run([str(python), "-c", "import fastvid; print(fastvid.__file__)"], cwd=tmp_path)
    assert Path(where.stdout.strip()).resolve().is_relative_to(venv.resolve())

    videos = make_dataset(
        tmp_path / "videos", splits=None, codec="h264", size=(64, 48), duration=2.2, fps=10
    )
    broken = videos / "b" / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 64)
    out = tmp_path / "report"
    result = _run(
        [
            str(venv / "bin" / "fastvid"),
            *("bench", str(videos), "--sample", "5", "--loaders", "fastvid,pytorchvideo"),
            *("--frames", "4", "--short-side", "48", "--size", "40", "--batch-size", "2"),
            *("--workers", "1", "--out", str(out)),
        ],
        cwd=tmp_path,
    )
    assert "| pytorchvideo |" in result.stdout  # the table is printed

    payload = json.loads((out / "bench.json").read_text())
    assert payload["layout"] == "class folders" and payload["listed_videos"] == 5
    # 2.2 s videos, 2 s uniform clips: one clip from each of the 4 readable videos
    assert payload["workload"] == {**payload["workload"], "videos": 4, "clips": 4}
    rows = {r["row"]: r for r in payload["rows"]}
    assert set(rows) == {"pytorchvideo", "fastvid"}
    for row in rows.values():
        assert row["status"] == "ok", row["reason"]
        assert row["clips"] == 4 and row["clips_per_s"] > 0
    assert rows["pytorchvideo"]["params"]["frame_check"]["same"] is True
    assert payload["ratios"]["pytorchvideo"] == pytest.approx(
        rows["fastvid"]["clips_per_s"] / rows["pytorchvideo"]["clips_per_s"], rel=1e-2
    )
    by_path = {Path(v["path"]).name: v for v in payload["videos"]}
    assert (
        by_path["broken.mp4"]["clips"] == 0 and "fastvid" in by_path["broken.mp4"]["unreadable_by"]
    )
    readable = [v for v in payload["videos"] if v["clips"]]
    assert len(readable) == 4
    assert all(v["route"] in ("NVDEC", "DALI CPU", "PyAV") for v in readable)
    assert sum(payload["route_counts"].values()) == 4

    markdown = (out / "bench.md").read_text()
    assert "| fastvid |" in markdown and "| pytorchvideo |" in markdown
    assert "fastvid's decoder routes" in markdown and "broken.mp4" in markdown
    assert (out / "bench.png").read_bytes().startswith(PNG_MAGIC)
