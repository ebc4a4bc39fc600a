"""Flash 0.8's optimizer and lr_scheduler forms, and schedulers stepping when Flash steps them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
import pytorch_lightning as pl
import torch
from torch.optim import lr_scheduler

import fastvid
from fastvid.models import VideoClassifier
from fastvid.models._registries import LR_SCHEDULERS, UnknownNameError
from tests.models import RandomVideoData, TinyBackbone, quiet_trainer_kwargs

pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(**kwargs: Any) -> VideoClassifier:
    return VideoClassifier(3, None, TinyBackbone(), None, False, **kwargs)


# ---------------------------------------------------------------------------- optimizer


@pytest.mark.parametrize(
    "optimizer",
    [
        "Adadelta",
        "adadelta",
        ("adadelta", {"eps": 0.5}),
        torch.optim.Adadelta,
        functools.partial(torch.optim.Adadelta, eps=0.5),
        lambda params, **kw: torch.optim.Adadelta(params, eps=0.5, **kw),
    ],
)
def test_optimizer_forms(optimizer: object) -> None:
    built = tiny(optimizer=optimizer, learning_rate=0.3).configure_optimizers()
    assert isinstance(built, torch.optim.Adadelta)
    assert built.param_groups[0]["lr"] == 0.3  # learning_rate is passed as lr, as in Flash
    if not isinstance(optimizer, str) and optimizer is not torch.optim.Adadelta:
        assert built.param_groups[0]["eps"] == 0.5


def test_learning_rate_wins_over_the_tuple_and_none_keeps_the_default() -> None:
    model = tiny(optimizer=("adam", {"lr": 0.5, "weight_decay": 0.1}), learning_rate=0.01)
    group = model.configure_optimizers().param_groups[0]
    assert (group["lr"], group["weight_decay"]) == (0.01, 0.1)
    assert tiny(optimizer="adamw").configure_optimizers().param_groups[0]["lr"] == 1e-3
    extra = tiny(optimizer="sgd", optimizer_kwargs={"momentum": 0.5}, learning_rate=0.1)
    assert extra.configure_optimizers().param_groups[0]["momentum"] == 0.5


def test_sgd_by_name_needs_a_learning_rate_as_in_flash() -> None:
    with pytest.raises(TypeError, match=r"'sgd' needs a learning rate: pass learning_rate="):
        tiny(optimizer="sgd").configure_optimizers()
    assert isinstance(tiny(optimizer=("SGD", {"lr": 0.1})).configure_optimizers(), torch.optim.SGD)


def test_optimizer_instance_is_used_as_it_is() -> None:
    backbone = TinyBackbone()
    head = torch.nn.Linear(6, 3)
    params = [*backbone.parameters(), *head.parameters()]
    optimizer = torch.optim.SGD(params, lr=0.2)
    model = VideoClassifier(3, backbone=backbone, pretrained=False, head=head, optimizer=optimizer)
    assert model.configure_optimizers() is optimizer
    stranger = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.2)
    with pytest.raises(ValueError, match="2 parameters that are not this model's"):
        tiny(optimizer=stranger).configure_optimizers()


def test_optimizer_skips_frozen_parameters() -> None:
    model = tiny()
    for p in model.backbone.parameters():
        p.requires_grad = False
    optimizer = model.configure_optimizers()
    in_optimizer = {id(p) for g in optimizer.param_groups for p in g["params"]}
    assert in_optimizer == {id(p) for p in model.head.parameters()}


@pytest.mark.parametrize(
    ("optimizer", "error", "message"),
    [
        ([1, 2, 3, 4], TypeError, r"must be \(name, kwargs\)"),
        ("not_a_valid_key", KeyError, r"unknown optimizer 'not_a_valid_key'"),
        ("adamm", ValueError, r"did you mean \['adam'"),
        ((["not", "a", "str"], {"x": 10}), TypeError, "the name must be a str"),
        (("Adam", ["non", "dict"]), TypeError, "the kwargs must be a dict"),
        (3, TypeError, r"optimizer must be a name from VideoClassifier.available_optimizers"),
    ],
)
def test_bad_optimizers(optimizer: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        tiny(optimizer=optimizer)


# ---------------------------------------------------------------------------- scheduler


def _configure(lr_scheduler: object) -> dict[str, Any]:
    optimizers, configs = tiny(optimizer="adam", lr_scheduler=lr_scheduler).configure_optimizers()
    assert isinstance(optimizers[0], torch.optim.Adam) and len(configs) == 1
    config: dict[str, Any] = configs[0]
    return config


@pytest.mark.parametrize(
    ("sched", "interval"),  # Flash 0.8.2's tests/core/test_model.py pairs, in fastvid's words
    [
        (("StepLR", {"step_size": 10}), "step"),
        (("steplr", {"step_size": 10}, {"interval": "epoch"}), "epoch"),
        (functools.partial(lr_scheduler.StepLR, step_size=10), "epoch"),
        ((lr_scheduler.StepLR, {"step_size": 10}), "step"),  # a class where Flash wants a name
        (("multisteplr", {"milestones": [2]}), "step"),
        (("CosineAnnealingLR", {"T_max": 5}), "step"),
        (("cycliclr", {"base_lr": 0.1, "max_lr": 1.0}), "step"),
        (("cosineannealingwarmrestarts", {"T_0": 2}), "step"),
        (("exponentiallr", {"gamma": 0.9}), "epoch"),
        (("linearlr", {}), "epoch"),
    ],
)
def test_scheduler_intervals_are_flashs(sched: object, interval: str) -> None:
    config = _configure(sched)
    assert isinstance(config["scheduler"], lr_scheduler.LRScheduler)
    assert config["interval"] == interval and config["frequency"] == 1
    assert "opt_idx" not in config  # Flash's key that Lightning 2 rejects


def test_registered_functions_return_a_scheduler_or_a_whole_config() -> None:
    def as_instance(optimizer: torch.optim.Optimizer) -> lr_scheduler.LRScheduler:
        return lr_scheduler.StepLR(optimizer, step_size=10)

    def as_dict(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        scheduler = lr_scheduler.StepLR(optimizer, step_size=10)
        return {"scheduler": scheduler, "name": "cool", "interval": "step", "opt_idx": None}

    VideoClassifier.lr_schedulers_registry(as_instance, name="test_as_instance")
    VideoClassifier.lr_schedulers_registry(name="test_as_dict")(as_dict)
    try:
        assert "test_as_dict" in VideoClassifier.available_lr_schedulers()
        assert _configure("test_as_instance")["interval"] == "epoch"
        config = _configure("test_as_dict")
        assert (config["name"], config["interval"]) == ("cool", "step")
        assert "opt_idx" not in config
    finally:
        LR_SCHEDULERS.remove("test_as_instance")
        LR_SCHEDULERS.remove("test_as_dict")
    assert "test_as_dict" not in VideoClassifier.available_lr_schedulers()


def test_reduce_on_plateau_monitors_val_loss() -> None:
    config = _configure(("reducelronplateau", {"patience": 1}))
    assert config["reduce_on_plateau"] is True and config["monitor"] == "val_loss"
    config = _configure(("ReduceLROnPlateau", {}, {"monitor": "val_accuracy"}))
    assert config["monitor"] == "val_accuracy"


@pytest.mark.parametrize(
    ("sched", "error", "message"),
    [
        ("not_a_valid_key", KeyError, "unknown lr_scheduler 'not_a_valid_key'"),
        ("cosine", ValueError, r"did you mean \['cosineannealinglr'"),
        (["not", "a", "valid", "type"], TypeError, r"must be \(name, kwargs\)"),
        ((["not", "a", "type"], {"x": 10}), TypeError, "the name must be a str or a class"),
        (("steplr", 3), TypeError, "kwargs and lightning_config must be dicts"),
        (("steplr", {}, {"interval": "batch"}), ValueError, "'batch' must be 'step' or 'epoch'"),
        (("steplr", {}, {"every": 2}), ValueError, r"unknown Lightning config keys \['every'\]"),
        (3, TypeError, "lr_scheduler must be None, a name from"),
    ],
)
def test_bad_schedulers(sched: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        tiny(lr_scheduler=sched)


def test_unknown_names_are_key_errors_and_value_errors() -> None:
    assert issubclass(UnknownNameError, KeyError) and issubclass(UnknownNameError, ValueError)
    with pytest.raises(UnknownNameError) as caught:
        LR_SCHEDULERS.get("nope")
    assert str(caught.value).startswith("unknown lr_scheduler 'nope'")  # no KeyError quoting


# ---------------------------------------------------------------------------- stepping


class _RecordLR(pl.Callback):
    def __init__(self) -> None:
        self.lrs: list[float] = []

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        self.lrs.append(trainer.optimizers[0].param_groups[0]["lr"])


def _expected_lrs(
    make: Callable[[torch.optim.Optimizer], Any], per_step: bool, frequency: int
) -> list[float]:
    """The learning rate before each of 3 epochs x 3 batches, the scheduler stepped after every
    ``frequency``-th batch of an epoch (Lightning counts the batch index, as under Flash) or
    every ``frequency``-th epoch."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = make(optimizer)
    lrs = []
    for epoch in range(3):
        for batch in range(3):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if per_step and (batch + 1) % frequency == 0:
                scheduler.step()
        if not per_step and (epoch + 1) % frequency == 0:
            scheduler.step()
    return lrs


@pytest.mark.parametrize(
    ("sched", "make", "per_step", "frequency"),
    [
        (("steplr", {"step_size": 2, "gamma": 0.5}),
         lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5), True, 1),
        (("cosineannealinglr", {"T_max": 9}),
         lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=9), True, 1),
        (("steplr", {"step_size": 1, "gamma": 0.5}, {"frequency": 2}),
         lambda o: lr_scheduler.StepLR(o, step_size=1, gamma=0.5), True, 2),
        (("multisteplr", {"milestones": [4, 7]}, {"interval": "epoch"}),
         lambda o: lr_scheduler.MultiStepLR(o, milestones=[4, 7]), False, 1),
        (("exponentiallr", {"gamma": 0.5}),
         lambda o: lr_scheduler.ExponentialLR(o, gamma=0.5), False, 1),
        (("exponentiallr", {"gamma": 0.5}, {"frequency": 2}),
         lambda o: lr_scheduler.ExponentialLR(o, gamma=0.5), False, 2),
    ],
)  # fmt: skip
def test_schedulers_step_when_flash_steps_them(
    sched: object, make: Callable[[torch.optim.Optimizer], Any], per_step: bool, frequency: int
) -> None:
    data = RandomVideoData(num_videos=6, clip=(2, 8, 8), batch_size=2)
    model = tiny(optimizer="sgd", learning_rate=0.1, lr_scheduler=sched)
    recorder = _RecordLR()
    trainer = fastvid.Trainer(
        max_epochs=3, limit_val_batches=0, callbacks=[recorder], **quiet_trainer_kwargs()
    )
    trainer.fit(model, datamodule=data)
    assert recorder.lrs == pytest.approx(_expected_lrs(make, per_step, frequency))
