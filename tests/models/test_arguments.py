"""VideoClassifier's loss, metric, head and class-count arguments, in Flash 0.8's forms and with
Flash's names (the classifier tests use them end to end)."""

from __future__ import annotations

import functools

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import Accuracy, F1Score, Precision
from torchmetrics.functional import accuracy

from fastvid.models._arguments import (
    build_metrics,
    callable_name,
    check_labels,
    check_learning_rate,
    check_num_classes,
    resolve_head,
    resolve_losses,
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


def test_names_are_flash_get_callable_name() -> None:
    # Flash: getattr(fn, "__name__", fn.__class__.__name__).lower()
    assert callable_name(F.cross_entropy) == "cross_entropy"
    assert callable_name(nn.CrossEntropyLoss()) == "crossentropyloss"
    assert callable_name(functools.partial(F.nll_loss)) == "partial"
    # torchmetrics' task classes lose their prefix: Flash's Accuracy() logged "accuracy".
    assert callable_name(Accuracy(task="multiclass", num_classes=3)) == "accuracy"
    assert callable_name(F1Score(task="multilabel", num_labels=3)) == "f1score"
    assert callable_name(Precision) == "precision"


def test_loss_forms() -> None:
    assert resolve_losses(None, multi_label=False) == {"cross_entropy": F.cross_entropy}
    assert resolve_losses(None, multi_label=True) == {
        "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits
    }
    module = nn.CrossEntropyLoss()
    assert resolve_losses(module, False) == {"crossentropyloss": module}
    both = resolve_losses([F.cross_entropy, F.multi_margin_loss], False)
    assert list(both) == ["cross_entropy", "multi_margin_loss"]
    assert resolve_losses({"ce": F.cross_entropy}, False) == {"ce": F.cross_entropy}
    with pytest.raises(TypeError, match=r"loss_fn must be a callable, a list or a .* got 3"):
        resolve_losses(3, multi_label=False)
    with pytest.raises(TypeError, match=r"loss_fn 'ce' must be callable, got 3"):
        resolve_losses({"ce": 3}, multi_label=False)
    with pytest.raises(ValueError, match=r"both named 'cross_entropy'"):
        resolve_losses([F.cross_entropy, F.cross_entropy], False)


def test_head_default() -> None:
    head = resolve_head(None, 8, 3)
    assert isinstance(head, nn.Sequential) and head(torch.zeros(2, 8)).shape == (2, 3)
    with pytest.raises(ValueError, match="cannot size the default head"):
        resolve_head(None, None, 3)
    with pytest.raises(TypeError, match=r"head must be an nn\.Module or a callable"):
        resolve_head(3, 8, 3)  # type: ignore[arg-type]


def test_metric_forms() -> None:
    modules, functions = build_metrics(None, 4, multi_label=False)
    assert list(modules) == ["accuracy"] and functions == {}
    assert list(build_metrics(None, 4, multi_label=True)[0]) == ["f1score"]

    several, _ = build_metrics(
        [Accuracy(task="multiclass", num_classes=4), Precision(task="multiclass", num_classes=4)],
        4,
        multi_label=False,
    )
    assert list(several) == ["accuracy", "precision"]

    # A Metric class is built for the task; a plain function stays a function.
    built, plain = build_metrics([F1Score, accuracy], 4, multi_label=False)
    assert list(built) == ["f1score"] and built["f1score"].num_classes == 4  # type: ignore[union-attr]
    assert plain == {"accuracy": accuracy}
    multi, _ = build_metrics(Precision, 4, multi_label=True)
    assert type(multi["precision"]).__name__ == "MultilabelPrecision"

    named, _ = build_metrics({"f1": F1Score(task="multiclass", num_classes=4)}, 4, False)
    assert list(named) == ["f1"]
    with pytest.raises(TypeError, match=r"metric 'x' must be a torchmetrics Metric or callable"):
        build_metrics({"x": 3}, 4, False)  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="metrics is empty"):
        build_metrics([], 4, False)
