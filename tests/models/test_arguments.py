"""VideoClassifier's Flash-style arguments resolved to objects (the classifier tests use them
end to end)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import Accuracy, F1Score, MetricCollection, Precision

from fastvid.models._arguments import (
    build_metrics,
    check_labels,
    check_learning_rate,
    check_num_classes,
    resolve_head,
    resolve_loss_fn,
    resolve_optimizer,
    resolve_scheduler,
)


def test_class_count_and_labels() -> None:
    assert check_labels(("a", "b")) == ["a", "b"] and check_labels(None) is None
    with pytest.raises(TypeError, match=r"labels must be a sequence of str, got 'ab'"):
        check_labels("ab")
    assert check_num_classes(None, ["a", "b", "c"]) == 3
    with pytest.raises(ValueError, match=r"num_classes \(0\) must be >= 1"):
        check_num_classes(0, None)
    with pytest.raises(TypeError, match=r"num_classes must be an int, got float 2\.0"):
        check_num_classes(2.0, None)  # type: ignore[arg-type]


def test_learning_rate() -> None:
    assert check_learning_rate(None) is None
    assert check_learning_rate(1) == 1.0 and isinstance(check_learning_rate(1), float)
    with pytest.raises(ValueError, match=r"learning_rate \(-0\.1\) must be > 0"):
        check_learning_rate(-0.1)
    with pytest.raises(ValueError, match=r"learning_rate \(nan\) must be finite"):
        check_learning_rate(float("nan"))


def test_optimizer_names_are_case_insensitive() -> None:
    assert resolve_optimizer("adamw") is torch.optim.AdamW
    assert resolve_optimizer(torch.optim.SGD) is torch.optim.SGD
    with pytest.raises(TypeError, match=r"optimizer must be a torch\.optim name"):
        resolve_optimizer(3)


def test_scheduler_forms() -> None:
    assert resolve_scheduler(None) is None
    plain = resolve_scheduler("steplr")
    assert plain is not None and plain.factory is torch.optim.lr_scheduler.StepLR
    assert (plain.kwargs, plain.config) == ({}, {})
    full = resolve_scheduler(("CosineAnnealingLR", {"T_max": 5}, {"interval": "step"}))
    assert full is not None
    assert full.factory is torch.optim.lr_scheduler.CosineAnnealingLR
    assert (full.kwargs, full.config) == ({"T_max": 5}, {"interval": "step"})
    with pytest.raises(TypeError, match="kwargs and lightning_config must be dicts"):
        resolve_scheduler(("StepLR", 3))


def test_loss_and_head_defaults() -> None:
    assert resolve_loss_fn(None, multi_label=False) is F.cross_entropy
    assert resolve_loss_fn(None, multi_label=True) is F.binary_cross_entropy_with_logits
    with pytest.raises(TypeError, match=r"loss_fn must be callable, got int 3"):
        resolve_loss_fn(3, multi_label=False)  # type: ignore[arg-type]
    head = resolve_head(None, 8, 3)
    assert isinstance(head, nn.Sequential) and head(torch.zeros(2, 8)).shape == (2, 3)
    with pytest.raises(ValueError, match="cannot size the default head"):
        resolve_head(None, None, 3)


def test_metrics_are_named_from_their_class() -> None:
    default = build_metrics(None, 4, multi_label=False)
    assert isinstance(default, MetricCollection) and list(default) == ["accuracy"]
    assert list(build_metrics(None, 4, multi_label=True)) == ["f1_score"]
    several = build_metrics(
        [Accuracy(task="multiclass", num_classes=4), Precision(task="multiclass", num_classes=4)],
        4,
        multi_label=False,
    )
    assert list(several) == ["accuracy", "precision"]
    named = build_metrics({"f1": F1Score(task="multiclass", num_classes=4)}, 4, False)
    assert list(named) == ["f1"]
