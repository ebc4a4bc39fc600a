"""Import direction: the contracts of ``[tool.importlinter]`` in pyproject.toml hold.

errors (``fastvid.errors``, the one error hierarchy) → data (layout, index, samplers,
transforms) → reader → integrations → models → entry points
(cli, trainer, demo, gpu_check, bench, video, core): each layer imports only from itself and the
layers below it. Inside the reader, its rooms point down too (loader → workers, inline →
decoding → dali → transforms, planning); the integrations' rooms (Flash's, PyTorchVideo's,
Lightning's) do not import each other. ``lint-imports`` checks every import statement,
including the ones inside functions; a violation fails this test with import-linter's report
of the offending chain. No module of ``fastvid/`` is longer than :data:`MAX_LINES`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "Layers point down: entry > models > integrations > reader > data > errors"
NO_LIGHTNING = "The data and reader layers do not import Lightning"
PREDICT = "Prediction needs neither the DataModule nor the Trainer"
DALI = "DALI is used in one place: fastvid.reader.dali"
ROOMS = "The reader's rooms point down, from the loader to planning"
LIBRARIES = "The Flash, PyTorchVideo and Lightning rooms do not import each other"
ALL = {LAYERS, NO_LIGHTNING, PREDICT}
#: the longest a module may be (docs/ARCHITECTURE.md: one job per module)
MAX_LINES = 400


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
    )


def test_import_contracts_are_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    kept = re.findall(r"^(.+) KEPT\b", result.stdout, flags=re.MULTILINE)
    assert set(kept) == {LAYERS, NO_LIGHTNING, PREDICT, DALI, ROOMS, LIBRARIES}, result.stdout


@pytest.mark.parametrize(
    ("module", "upward_import", "contracts"),
    [
        ("data/layout/_folder.py", "import fastvid.reader.loader.clip_loader", {LAYERS}),
        # the DataModule imports Lightning, and the prediction path reads the frame plan; the
        # DataModule imports the loader (so planning would reach it) and PyTorchVideo's room
        # reads the frame plan (so it would reach Flash's)
        (
            "reader/planning/frames.py",
            "import fastvid.integrations.flash.datamodule",
            ALL | {ROOMS, LIBRARIES},
        ),
        ("integrations/lightning/callbacks.py", "import fastvid.models.heads", {LAYERS}),
        ("models/heads.py", "import fastvid.trainer", {LAYERS}),
        ("reader/loader/skip_report.py", "import pytorch_lightning", {NO_LIGHTNING}),
        ("models/predict.py", "import fastvid.integrations.flash.datamodule", {PREDICT}),
        ("reader/loader/epoch_run.py", "from nvidia import dali", {DALI}),
        ("reader/workers/pool.py", "from nvidia import dali", {DALI}),
        # the reader's rooms: decoding never imports the workers or the loader, planning
        # never imports decoding
        ("reader/decoding/gop.py", "import fastvid.reader.workers.pool", {ROOMS}),
        ("reader/decoding/audio.py", "import fastvid.reader.loader.batch", {ROOMS}),
        ("reader/planning/epoch.py", "import fastvid.reader.decoding.routing", {ROOMS}),
        ("reader/transforms/augment.py", "import fastvid.reader.dali.graph", {ROOMS}),
        # the libraries' rooms stand apart (Flash's inputs -> PyTorchVideo's api is the one
        # crossing, and it goes one way only)
        (
            "integrations/pytorchvideo/api.py",
            "import fastvid.integrations.flash.inputs",
            {LIBRARIES},
        ),
        (
            "integrations/lightning/callbacks.py",
            "import fastvid.integrations.pytorchvideo.api",
            {LIBRARIES},
        ),
        ("integrations/flash/_stages.py", "import fastvid.integrations.lightning", {LIBRARIES}),
        # the error hierarchy is the bottom layer: data and reader import it, it imports neither
        ("errors.py", "import fastvid.data.index", {LAYERS}),
    ],
)
def test_an_upward_import_breaks_a_contract(
    tmp_path: Path, module: str, upward_import: str, contracts: set[str]
) -> None:
    shutil.copytree(
        ROOT / "fastvid", tmp_path / "fastvid", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "fastvid" / module
    target.write_text(target.read_text() + f"\n\ndef _upward() -> None:\n    {upward_import}\n")

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    broken = re.findall(r"^(.+) BROKEN\b", result.stdout, flags=re.MULTILINE)
    assert set(broken) == contracts, result.stdout
    assert upward_import.split()[1] in result.stdout  # the report names the import


def test_the_reader_imports_no_lightning_at_run_time() -> None:
    code = (
        "import sys, fastvid.reader.loader.skip_report, fastvid.reader.loader.clip_loader, "
        "fastvid.data.index; "
        "loaded = [m for m in sys.modules if 'lightning' in m]; assert not loaded, loaded"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_no_module_is_longer_than_the_limit() -> None:
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in sorted((ROOT / "fastvid").rglob("*.py"))
    }
    too_long = {path: n for path, n in lengths.items() if n > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines (split them): {too_long}"
