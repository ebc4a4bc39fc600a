"""A real 2-process DDP fit through Lightning (CPU, gloo): what each rank's loader hands it.

``_ddp_script.py`` runs ``Trainer(accelerator="cpu", devices=2, strategy="ddp")`` on tiny
datasets for 2 epochs (one launch, one fit per dataset); each rank records the clips of every
batch. Here, in the parent: ranks get disjoint clips whose union is the epoch's clip set, the
same number of batches, and their shares are strides of one global order that changes between
epochs. Lightning never calls a loader's ``set_epoch`` directly, only
``loader.sampler.set_epoch`` (also checked here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import chain
from pathlib import Path
from typing import Any

import pytest
from lightning_fabric.utilities.data import _set_sampler_epoch
from pytorch_lightning.utilities.data import _is_dataloader_shuffled

from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.testing import make_dataset

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("_ddp_script.py")
EPOCHS = 2
WORLD = 2
SEED = 3  # with 3 and 4 videos, each rank's set of videos changes from epoch 0 to 1


def _dataset(root: Path, classes: tuple[str, ...], per_class: int) -> Path:
    make_dataset(
        root,
        classes=classes,
        per_class=per_class,
        splits=("train",),
        codec="h264",
        size=(64, 48),
        duration=1.0,
        fps=10,
    )
    return root / "train"


def _run_ddp(runs: dict[Path, Path]) -> dict[Path, list[dict[str, Any]]]:
    """One DDP launch fitting on each training folder in turn; each rank's record per folder."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "NODE_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(EPOCHS), str(SEED), *map(str, chain(*runs.items()))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {
        train: [json.loads((out / f"rank{r}.json").read_text()) for r in range(WORLD)]
        for train, out in runs.items()
    }


def _keys(plan: list[Any]) -> list[tuple[int, int, int]]:
    return [(c.video_index, c.clip_index, c.aug_index) for c in plan]


def _global_plans(train: Path) -> dict[int, list[tuple[int, str, int, int]]]:
    """The epoch's clips on one process (world size 1): the order both ranks stride through."""
    dm = VideoClassificationData.from_paths(
        train_folder=train,
        clip_sampler="uniform",
        clip_duration=0.5,
        batch_size=2,
        num_workers=1,
        device="cpu",
        seed=SEED,
        train_transform={},
        loader_kwargs={"progress": False, "rank": 0, "world_size": 1},
    )
    loader = dm.train_dataloader()
    return {
        e: [(c.video_index, Path(c.path).name, c.clip_index, c.aug_index) for c in loader.plan(e)]
        for e in range(EPOCHS)
    }


DATASETS = {"4-videos-even": (("a", "b"), 2), "3-videos-uneven": (("a", "b", "c"), 1)}


@pytest.fixture(scope="module")
def ddp_fits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[Any]]]:
    """Each of ``DATASETS`` fitted under DDP (one launch for all: the interpreters, Lightning
    and the process group start once): its training folder and each rank's record."""
    trains = {
        name: _dataset(tmp_path_factory.mktemp(f"ddp_{name}") / "ds", classes, per_class)
        for name, (classes, per_class) in DATASETS.items()
    }
    records = _run_ddp({train: train.parents[1] / "out" for train in trains.values()})
    return {name: (train, records[train]) for name, train in trains.items()}


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_ddp_ranks_get_disjoint_equal_shares_of_one_reshuffled_order(
    ddp_fits: dict[str, tuple[Path, list[Any]]], dataset: str
) -> None:
    train, ranks = ddp_fits[dataset]
    plans = _global_plans(train)

    for r, record in enumerate(ranks):
        assert record["trainer_rank"] == record["loader_rank"] == r
        assert record["world_size"] == record["loader_world_size"] == WORLD
        assert record["loader_epochs"] == {str(e): e for e in range(EPOCHS)}
    # equal batch counts on every rank, every epoch (DDP would hang otherwise)
    counts = {(e, len(rec["epochs"][str(e)])) for rec in ranks for e in range(EPOCHS)}
    assert counts == {(e, ranks[0]["len"]) for e in range(EPOCHS)}
    val = [rec["val_batches"] for rec in ranks]  # the validation loop ran (same counts) too
    assert val[0] == val[1] and set(val[0]) == {str(e) for e in range(EPOCHS)}

    global_videos = {}
    for e in range(EPOCHS):
        got = [[tuple(c) for batch in rec["epochs"][str(e)] for c in batch] for rec in ranks]
        assert len(got[0]) == len(got[1])
        unique = [set(g) for g in got]
        assert not unique[0] & unique[1], f"epoch {e}: ranks share clips"
        assert unique[0] | unique[1] == set(plans[e]), f"epoch {e}: union is not the epoch"
        # both ranks stride through the same global video order
        order = list(dict.fromkeys(c[0] for c in plans[e]))
        global_videos[e] = order
        for r in range(WORLD):
            share = [c for c in plans[e] if c[0] in order[r::WORLD]]
            share.sort(key=lambda c: order.index(c[0]))
            # a short share repeats its own clips from its start (documented padding)
            padded = [share[i % len(share)] for i in range(len(got[r]))]
            assert got[r] == padded, f"epoch {e} rank {r}"
        if len(plans[e]) % WORLD == 0 and len(order) % WORLD == 0:
            assert len(got[0]) == len(plans[e]) // WORLD  # no padding when it divides
    for r in range(WORLD):  # reshuffled: each rank reads other videos in epoch 1
        assert set(global_videos[0][r::WORLD]) != set(global_videos[1][r::WORLD])


def test_lightning_set_epoch_reaches_the_loader(tmp_path: Path) -> None:
    train = _dataset(tmp_path / "ds", ("a", "b"), 2)
    dm = VideoClassificationData.from_paths(
        train_folder=train,
        clip_sampler="uniform",
        clip_duration=0.5,
        device="cpu",
        seed=7,
        loader_kwargs={"progress": False},
    )
    loader = dm.train_dataloader()
    _set_sampler_epoch(loader, 5)  # what Lightning's fit loop calls at each epoch start
    assert _keys(loader.plan()) == _keys(loader.plan(5)) != _keys(loader.plan(0))
    # what Lightning asks of a val/test loader with a `sampler` (not a shuffling one)
    assert _is_dataloader_shuffled(loader) is False


def test_loader_made_before_the_process_group_follows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train = _dataset(tmp_path / "ds", ("a", "b"), 2)
    dm = VideoClassificationData.from_paths(
        train_folder=train,
        clip_sampler="uniform",
        clip_duration=0.5,
        device="cpu",
        loader_kwargs={"progress": False},
    )
    dm.setup("fit")  # before Lightning starts DDP: one process, the whole dataset
    loader = dm.train_dataloader()
    whole = _keys(loader.plan(0))
    assert (loader.rank, loader.world_size) == (0, 1)
    monkeypatch.setattr("fastvid.reader.loader._options.distributed_rank_world", lambda: (1, 2))
    half = _keys(loader.plan(0))
    assert (loader.rank, loader.world_size) == (1, 2)
    assert len(half) == len(whole) // 2 and set(half) < set(whole)
