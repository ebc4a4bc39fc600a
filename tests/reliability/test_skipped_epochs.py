"""What a loader skipped, over several epochs: each clip once per epoch, each file once overall.

A bad file is skipped again every epoch. ``loader.skipped`` is the current (last) epoch's
skipped clips plus the videos left out when indexing, so it does not grow from epoch to epoch;
``loader.skipped_files`` is every file skipped so far, once; ``skip_report()`` counts each
clip once per epoch (iterating an epoch again replaces its entries instead of adding more).
"""

from __future__ import annotations

import gc
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from fastvid.data.index import VideoIndex
from fastvid.reader.loader.clip_loader import ClipLoader
from fastvid.testing import make_video
from tests.reliability.conftest import SIZE, loader_options, truncated

EPOCHS = 3


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two good H.264 videos, a zero-byte file (left out when indexing), one file deleted and
    one replaced after indexing (their clips fail when decoded, every epoch)."""
    root = tmp_path_factory.mktemp("skipped_epochs")
    made = {
        name: make_video(root / f"{name}.mp4", codec="h264", size=SIZE, duration=1.5, seed=i)
        for i, name in enumerate(("good_a", "good_b", "deleted", "replaced"))
    }
    made["zero"] = truncated(made["good_a"], root / "zero.mp4", 0.0)
    return made


def _loader(files: dict[str, Path]) -> ClipLoader:
    order = ["good_a", "zero", "deleted", "good_b", "replaced"]
    pairs = [(str(files[name]), label) for label, name in enumerate(order)]
    index = VideoIndex.build([p for p, _ in pairs], cache=False, num_workers=0, progress=False)
    os.remove(files["deleted"])
    shorter = make_video(files["replaced"].with_name("shorter.mp4"), codec="h264", size=SIZE,
                         duration=0.5, seed=9)  # fmt: skip
    shutil.copyfile(shorter, files["replaced"])
    return ClipLoader(pairs, index=index, **loader_options(cpu_decoder="pyav"))


@pytest.mark.timeout(240)
def test_each_skipped_clip_is_listed_once_per_epoch_and_each_file_once(
    files: dict[str, Path],
) -> None:
    loader = _loader(files)
    bad = {str(files[name]) for name in ("deleted", "replaced")}
    try:
        per_epoch = []
        for epoch in range(EPOCHS):
            planned = sorted((c.path, c.clip_index) for c in loader.plan(epoch) if c.path in bad)
            delivered = [name for batch in loader for name in batch["video_name"]]
            assert delivered and not {"deleted.mp4", "replaced.mp4", "zero.mp4"} & set(delivered)
            skipped = loader.skipped
            # the zero-byte file once (epoch None), then this epoch's clips, each once
            assert [(s.path, s.epoch, s.kind) for s in skipped[:1]] == [
                (str(files["zero"]), None, "empty")
            ]
            clips = skipped[1:]
            assert {s.epoch for s in clips} == {epoch}
            assert sorted((s.path, s.clip_index) for s in clips) == planned
            assert Counter(s.kind for s in clips) == Counter(
                "missing" if path == str(files["deleted"]) else "changed" for path, _ in planned
            )
            per_epoch.append(len(skipped))
        assert per_epoch == [per_epoch[0]] * EPOCHS, "loader.skipped grew from epoch to epoch"

        assert list(loader.skipped_files) == [
            str(files[n]) for n in ("zero", "deleted", "replaced")
        ]
        assert {p: s.epoch for p, s in loader.skipped_files.items()} == {
            str(files["zero"]): None,
            str(files["deleted"]): EPOCHS - 1,
            str(files["replaced"]): EPOCHS - 1,
        }
        clips_per_epoch = per_epoch[0] - 1
        report = loader.skip_report()
        assert report.by_epoch == dict.fromkeys(range(EPOCHS), clips_per_epoch)
        assert report.count == 1 + EPOCHS * clips_per_epoch
        assert report.num_files == 3
        assert loader.skip_report(epoch=1).count == 1 + clips_per_epoch

        # iterating an epoch again replaces its entries: nothing is counted twice
        loader.set_epoch(1)
        for _ in loader:
            pass
        assert len(loader.skipped) == per_epoch[0]
        assert {s.epoch for s in loader.skipped[1:]} == {1}
        assert loader.skip_report().by_epoch == dict.fromkeys(range(EPOCHS), clips_per_epoch)
    finally:
        loader.close()
        gc.collect()
