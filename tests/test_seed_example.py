"""The Flash seed example runs on fastvid with only ``flash`` swapped for ``fastvid``.

The code is taken verbatim from ``shared/seed/video_classification.rst`` (both of its code
blocks: ``from_paths(train_data_path=...)`` and ``from_paths(train_folder=...)``); only the
module name and the data placeholders are replaced.
"""

from __future__ import annotations

import re
import shutil
import tarfile
from pathlib import Path

import pytest

from fastvid.testing import make_dataset

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "video_classification.rst"
PLACEHOLDER_DATA = ("PATH_OR_URL_TO_DATA", "NEED_TO_BE_CREATED")


def _python_blocks(text: str) -> list[str]:
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    return ["\n".join(line[4:] for line in block.splitlines()) for block in blocks]


def _swap_imports(code: str) -> str:
    return re.sub(r"\bflash\b", "fastvid", code)


@pytest.fixture(scope="module")
def seed_blocks() -> list[str]:
    if not SEED.exists():
        pytest.skip(f"seed example not found at {SEED}")
    blocks = _python_blocks(SEED.read_text())
    assert len(blocks) == 2, "the seed has two python examples"
    return blocks


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("seed_data")
    make_dataset(
        root / "video_dataset",
        classes=("archery", "bowling"),
        per_class=2,
        splits=("train",),
        codec="vp9",
        size=(96, 72),
        duration=2.5,
        fps=15,
    )
    path = root / "video_dataset.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(root / "video_dataset", arcname="video_dataset")
    shutil.rmtree(root / "video_dataset")
    return path


@pytest.mark.parametrize("block_number", [0, 1], ids=["train_data_path", "train_folder"])
def test_seed_example_runs_with_imports_swapped(
    seed_blocks: list[str],
    archive: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    block_number: int,
) -> None:
    code = _swap_imports(seed_blocks[block_number])
    assert "import fastvid" in code and "flash" not in code
    train = tmp_path / "data" / "video_dataset" / "train"
    for placeholder in PLACEHOLDER_DATA:
        code = code.replace(
            f'download_data("{placeholder}")', f'download_data("{archive}", "data/")'
        )
    code = code.replace('"path_to_train_data"', f'"{train}"')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTVID_CACHE_DIR", str(tmp_path / "cache"))
    namespace: dict[str, object] = {"__name__": "seed_example"}
    exec(compile(code, f"seed_example_{block_number}", "exec"), namespace)
    datamodule = namespace["datamodule"]
    trainer = namespace["trainer"]
    assert datamodule.num_classes == 2  # type: ignore[attr-defined]
    assert trainer.state.finished  # type: ignore[attr-defined]
