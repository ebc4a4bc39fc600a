"""Finetuning strategies: which backbone parameters train at which epoch, in a real fit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import BaseFinetuning, Callback
from torch import nn

import fastvid
from fastvid.models import (
    Freeze,
    FreezeUnfreeze,
    NoFreeze,
    UnfreezeMilestones,
    VideoClassifier,
    make_finetuning_callback,
)
from tests.models import RandomVideoData, TinyBackbone, quiet_trainer_kwargs

LAYERS = ("conv1", "bn1", "conv2", "bn2", "fc")  # TinyBackbone's layers with parameters


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class Recorder(Callback):
    """Per epoch and backbone layer: trainable? in the optimizer? did its weight change?"""

    def __init__(self) -> None:
        self.trainable: dict[int, set[str]] = {}
        self.optimized: dict[int, set[str]] = {}
        self.changed: dict[int, set[str]] = {}
        self._before: dict[str, torch.Tensor] = {}

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: Any, batch: Any, i: int) -> None:
        if i != 0:
            return
        epoch = trainer.current_epoch
        optimizer = trainer.optimizers[0]
        in_optimizer = {id(p) for g in optimizer.param_groups for p in g["params"]}
        backbone = pl_module.backbone
        weights = {name: getattr(backbone, name).weight for name in LAYERS}
        self.trainable[epoch] = {n for n, w in weights.items() if w.requires_grad}
        self.optimized[epoch] = {n for n, w in weights.items() if id(w) in in_optimizer}
        self._before = {n: w.detach().clone() for n, w in weights.items()}

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        backbone = pl_module.backbone
        self.changed[trainer.current_epoch] = {
            n for n in LAYERS if not torch.equal(getattr(backbone, n).weight, self._before[n])
        }


def run(strategy: object, *, epochs: int = 3, train_bn: bool = True) -> Recorder:
    torch.manual_seed(0)
    model = VideoClassifier(3, backbone=TinyBackbone(), learning_rate=0.05)
    recorder = Recorder()
    trainer = fastvid.Trainer(
        max_epochs=epochs,
        limit_train_batches=1,
        limit_val_batches=0,
        callbacks=[recorder],
        **quiet_trainer_kwargs(),
    )
    trainer.finetune(
        model, datamodule=RandomVideoData(clip=(2, 8, 8)), strategy=strategy, train_bn=train_bn
    )
    return recorder


ALL = set(LAYERS)
BN = {"bn1", "bn2"}


def test_no_freeze_trains_everything_from_the_start() -> None:
    recorder = run("no_freeze")
    for epoch in range(3):
        assert recorder.trainable[epoch] == recorder.optimized[epoch] == ALL
        assert recorder.changed[epoch] == ALL


@pytest.mark.parametrize(("train_bn", "trained"), [(True, BN), (False, set())])
def test_freeze_never_trains_the_backbone(train_bn: bool, trained: set[str]) -> None:
    recorder = run("freeze", train_bn=train_bn)
    for epoch in range(3):
        assert recorder.trainable[epoch] == recorder.optimized[epoch] == trained
        assert recorder.changed[epoch] == trained


def test_freeze_unfreeze_trains_the_backbone_from_its_epoch() -> None:
    recorder = run(("freeze_unfreeze", 1), train_bn=False)
    assert recorder.trainable[0] == recorder.optimized[0] == recorder.changed[0] == set()
    for epoch in (1, 2):
        assert recorder.trainable[epoch] == recorder.optimized[epoch] == ALL
        assert recorder.changed[epoch] == ALL


def test_unfreeze_milestones_trains_last_layers_then_all() -> None:
    recorder = run(("unfreeze_milestones", ((1, 2), 2)), epochs=4, train_bn=False)
    assert recorder.trainable[0] == recorder.changed[0] == set()
    assert recorder.trainable[1] == recorder.optimized[1] == recorder.changed[1] == {"bn2", "fc"}
    for epoch in (2, 3):
        assert recorder.trainable[epoch] == recorder.optimized[epoch] == ALL
        assert recorder.changed[epoch] == ALL


def test_unfrozen_parameters_join_the_first_group_even_when_values_repeat() -> None:
    # Lightning's own filter compares parameter *values*: two equal parameters would be
    # dropped as "already in the optimizer". fastvid compares identity.
    backbone = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    for layer in backbone:
        nn.init.constant_(layer.weight, 0.5)
        nn.init.zeros_(layer.bias)
    head = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
    module = pl.LightningModule()
    module.backbone = backbone
    callback = FreezeUnfreeze(0)
    callback.freeze_before_training(module)
    assert not any(p.requires_grad for p in backbone.parameters())
    callback.finetune_function(module, 0, optimizer)
    callback.finetune_function(module, 1, optimizer)  # idempotent
    assert len(optimizer.param_groups) == 1
    grouped = [id(p) for p in optimizer.param_groups[0]["params"]]
    assert sorted(grouped) == sorted(id(p) for p in [*head.parameters(), *backbone.parameters()])


@pytest.mark.parametrize(
    "strategy", [("freeze_unfreeze", 1), ("unfreeze_milestones", ((0, 1), 2)), "freeze"]
)
def test_resuming_past_the_unfreeze_epoch(strategy: object, tmp_path: Path) -> None:
    data = RandomVideoData(clip=(2, 8, 8))
    options = {"limit_train_batches": 1, "limit_val_batches": 0, **quiet_trainer_kwargs()}
    first = fastvid.Trainer(max_epochs=2, **options)
    first.finetune(VideoClassifier(3, backbone=TinyBackbone()), datamodule=data, strategy=strategy)
    path = tmp_path / "epoch2.ckpt"
    first.save_checkpoint(path)
    groups = [len(g["params"]) for g in first.optimizers[0].param_groups]

    model = VideoClassifier(3, backbone=TinyBackbone())
    resumed = fastvid.Trainer(max_epochs=3, **options)
    resumed.finetune(model, datamodule=data, strategy=strategy, ckpt_path=path)

    optimizer = resumed.optimizers[0]
    assert [len(g["params"]) for g in optimizer.param_groups] == groups
    in_optimizer = {id(p) for g in optimizer.param_groups for p in g["params"]}
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert trainable == in_optimizer
    unfreezes = strategy != "freeze"
    assert all(p.requires_grad for p in model.backbone.parameters()) == unfreezes


def test_strategies_need_a_backbone_attribute() -> None:
    module = pl.LightningModule()
    with pytest.raises(AttributeError, match=r"`backbone` attribute to be an nn\.Module"):
        Freeze().freeze_before_training(module)


# ---------------------------------------------------------------------------- the argument


@pytest.mark.parametrize(
    ("strategy", "cls", "options"),
    [
        ("no_freeze", NoFreeze, {}),
        ("freeze", Freeze, {}),
        (("freeze_unfreeze", 4), FreezeUnfreeze, {"unfreeze_epoch": 4}),
        (
            ("unfreeze_milestones", ((2, 5), 3)),
            UnfreezeMilestones,
            {"milestones": (2, 5), "num_layers": 3},
        ),
        (["unfreeze_milestones", [[2, 5], 3]], UnfreezeMilestones, {"milestones": (2, 5)}),
    ],
)
def test_make_finetuning_callback(strategy: object, cls: type, options: dict[str, Any]) -> None:
    callback = make_finetuning_callback(strategy, train_bn=False)
    assert type(callback) is cls and callback.train_bn is False  # type: ignore[attr-defined]
    for key, value in options.items():
        assert getattr(callback, key) == value


def test_a_callback_instance_passes_through() -> None:
    callback = Freeze()
    assert make_finetuning_callback(callback) is callback
    assert isinstance(callback, BaseFinetuning)
    assert repr(FreezeUnfreeze(2)) == "FreezeUnfreeze(unfreeze_epoch=2, train_bn=True)"


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ("unfreeze", r"unknown finetuning strategy 'unfreeze'; use \"no_freeze\", \"freeze\""),
        (3, r"unknown finetuning strategy 3; use .*BaseFinetuning instance"),
        (("freeze_unfreeze", "1"), r"invalid finetuning strategy .*unfreeze_epoch must be an int"),
        ("freeze_unfreeze", r"needs the epoch to unfreeze at"),
        (("freeze_unfreeze", -1), r"unfreeze_epoch \(-1\) must be >= 0"),
        (("unfreeze_milestones", (5, 10)), r"needs \(\(epoch_last_layers, epoch_all_layers\)"),
        (("unfreeze_milestones", ((10, 5), 2)), r"must be non-decreasing"),
        (("unfreeze_milestones", ((1, 5), 0)), r"num_layers \(0\) must be >= 1"),
        (("freeze", 2), r"strategy 'freeze' takes no argument"),
        (("freeze", 2, 3), r"unknown finetuning strategy"),
    ],
)
def test_bad_strategies_list_the_accepted_forms(strategy: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_finetuning_callback(strategy)
