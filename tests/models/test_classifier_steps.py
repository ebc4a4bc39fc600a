"""VideoClassifier's steps on Flash's batches (``input`` / ``target``), with Flash's loss and
metric forms, checked against values computed by hand from the model's own logits."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset
from torchmetrics import Precision
from torchmetrics.functional import accuracy

import fastvid
from fastvid.models import VideoClassifier
from tests.models import RandomClips, TinyBackbone, quiet_trainer_kwargs

pytestmark = pytest.mark.usefixtures("one_thread")


class FlashSamples(Dataset[dict[str, Any]]):
    """RandomClips' samples under Flash's keys: ``{"input": clip, "target": int}``."""

    def __init__(self, seed: int = 0) -> None:
        self.clips = RandomClips(num_videos=6, num_classes=3, clip=(2, 8, 8), seed=seed)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> dict[str, Any]:
        sample = self.clips[index]
        return {"input": sample["video"], "target": int(sample["label"])}


def tiny(**kwargs: Any) -> VideoClassifier:
    return VideoClassifier(3, None, TinyBackbone(), None, False, **kwargs)


def test_fit_validate_and_test_on_flash_batches() -> None:
    model = tiny()
    data = FlashSamples()
    trainer = fastvid.Trainer(max_epochs=1, **quiet_trainer_kwargs())
    trainer.fit(
        model,
        model.process_train_dataset(data, batch_size=2),
        model.process_val_dataset(data, batch_size=2),
    )
    assert {"train_cross_entropy_epoch", "train_accuracy_epoch", "val_accuracy"} <= set(
        trainer.callback_metrics
    )
    (tested,) = trainer.test(model, model.process_test_dataset(data, batch_size=6))

    model.eval()
    with torch.no_grad():
        logits = model(data.clips.videos)
    labels = data.clips.labels
    expected = (logits.argmax(-1) == labels).float().mean().item()
    assert tested["test_accuracy"] == pytest.approx(expected)
    assert tested["test_cross_entropy"] == pytest.approx(F.cross_entropy(logits, labels).item())


def test_process_dataset_hooks_are_flashs_loaders() -> None:
    model = tiny()
    data = FlashSamples()
    train = model.process_train_dataset(data, batch_size=4)
    assert train.drop_last and len(train) == 1  # 6 samples: one full batch, the rest dropped
    batch = next(iter(model.process_predict_dataset(data, batch_size=4)))
    assert batch["input"].shape == (4, 3, 2, 8, 8) and batch["target"].tolist() == [0, 1, 2, 0]
    with pytest.raises(ValueError, match="input_transform is not applied here"):
        model.process_val_dataset(data, batch_size=2, input_transform=object())


@pytest.mark.filterwarnings("ignore:.*reference is not registered on the model")  # no trainer
def test_a_dict_of_losses_is_summed_and_each_is_logged() -> None:
    logged: dict[str, Any] = {}
    model = tiny(loss_fn={"ce": F.cross_entropy, "margin": F.multi_margin_loss})
    model.log_dict = lambda values, **kwargs: logged.update(values)  # type: ignore[method-assign]
    video = torch.randn(4, 3, 2, 8, 8)
    target = torch.tensor([0, 1, 2, 1])
    loss = model.training_step({"input": video, "target": target}, 0)

    logits = model(video)
    ce, margin = F.cross_entropy(logits, target), F.multi_margin_loss(logits, target)
    torch.testing.assert_close(loss, ce + margin)
    torch.testing.assert_close(logged["train_ce"], ce)
    torch.testing.assert_close(logged["train_margin"], margin)
    torch.testing.assert_close(logged["train_total_loss"], ce + margin)
    torch.testing.assert_close(logged["train_loss"], ce + margin)


def test_a_loss_module_keeps_flashs_state_dict_layout() -> None:
    weight = torch.rand(3)
    model = tiny(loss_fn=nn.CrossEntropyLoss(weight=weight))
    torch.testing.assert_close(model.state_dict()["loss_fn.crossentropyloss.weight"], weight)


def test_metric_instances_classes_and_plain_functions_are_logged() -> None:
    def top1(probabilities: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return accuracy(probabilities, target, task="multiclass", num_classes=3)

    model = tiny(metrics={"top1": top1, "precision": Precision, "acc": accuracy_metric()})
    data = FlashSamples(seed=3)
    trainer = fastvid.Trainer(**quiet_trainer_kwargs())
    (validated,) = trainer.validate(model, model.process_val_dataset(data, batch_size=6))

    model.eval()
    with torch.no_grad():
        probabilities = torch.softmax(model(data.clips.videos), -1)
    labels = data.clips.labels
    assert validated["val_top1"] == pytest.approx(top1(probabilities, labels).item())
    assert validated["val_acc"] == pytest.approx(top1(probabilities, labels).item())
    expected_precision = Precision(task="multiclass", num_classes=3)(probabilities, labels)
    assert validated["val_precision"] == pytest.approx(expected_precision.item())


def accuracy_metric() -> Any:
    from torchmetrics import Accuracy

    return Accuracy(task="multiclass", num_classes=3)
