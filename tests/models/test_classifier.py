"""VideoClassifier: Flash's constructor, training steps, logging, predictions, checkpoints."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics import F1Score, Precision

import fastvid
from fastvid.models import VideoClassifier, average_by_video, list_backbones
from tests.models import RandomVideoData, TinyBackbone, quiet_trainer_kwargs


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_classifier(**kwargs: object) -> VideoClassifier:
    options: dict[str, object] = {"backbone": TinyBackbone(), "pretrained": False}
    options.update(kwargs)
    return VideoClassifier(3, **options)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- construction


def test_seed_construction_with_default_backbone() -> None:
    model = VideoClassifier(num_classes=3, pretrained=False)
    assert model.backbone_info is not None and model.backbone_info.name == "x3d_xs"
    assert isinstance(model.head, nn.Sequential)
    assert model.head[1].in_features == 2048 and model.head[1].out_features == 3
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 3, 4, 32, 32))
    assert logits.shape == (2, 3)


def test_flash_signature_positional_order_and_defaults() -> None:
    # Flash 0.8.2's VideoClassifier.__init__, in order; fastvid's extras are keyword-only.
    flash = [
        ("num_classes", None),
        ("labels", None),
        ("backbone", "x3d_xs"),
        ("backbone_kwargs", None),
        ("pretrained", True),
        ("loss_fn", None),  # Flash: F.cross_entropy, which None gives
        ("optimizer", "Adam"),
        ("lr_scheduler", None),
        ("metrics", None),  # Flash: Accuracy(), which None gives
        ("learning_rate", None),
        ("head", None),
    ]
    parameters = list(inspect.signature(VideoClassifier).parameters.values())
    positional = [p for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert [(p.name, p.default) for p in positional] == flash
    assert all(p.kind is p.KEYWORD_ONLY for p in parameters[len(flash) :])

    model = VideoClassifier(2, None, "x3d_xs", None, False)
    assert model.num_classes == 2 and model.backbone_info is not None
    assert model.backbone_info.name == "x3d_xs" and model.learning_rate is None


def test_available_registries() -> None:
    assert VideoClassifier.available_models() == list_backbones()
    assert VideoClassifier.available_backbones() == list_backbones()
    assert VideoClassifier.available_backbones("slowfast*") == list_backbones("slowfast*")
    with pytest.raises(ValueError, match="has no head registry"):
        VideoClassifier.available_backbones(head="linear")
    assert VideoClassifier.available_heads() == []  # Flash's VideoClassifier has none either
    assert VideoClassifier.available_outputs() == [
        "classes", "fiftyone", "labels", "logits", "preds", "probabilities", "raw"
    ]  # fmt: skip
    optimizers = VideoClassifier.available_optimizers()
    assert {"adam", "adamw", "sgd", "rmsprop"} <= set(optimizers) and optimizers == sorted(
        optimizers
    )
    schedulers = VideoClassifier.available_lr_schedulers()
    assert {"steplr", "cosineannealinglr", "reducelronplateau", "onecyclelr"} <= set(schedulers)
    assert VideoClassifier.available_finetuning_strategies() == [
        "freeze", "freeze_unfreeze", "no_freeze", "unfreeze_milestones"
    ]  # fmt: skip
    details = VideoClassifier.get_backbone_details("x3d_xs")
    assert details and all(isinstance(p, inspect.Parameter) for _, p in details)


def test_pretrained_path_is_loaded(tmp_path: Path) -> None:
    source = VideoClassifier(num_classes=3, backbone="r3d_18", pretrained=False)
    path = tmp_path / "weights.pt"
    torch.save(source.state_dict(), path)  # "backbone."-prefixed keys
    model = VideoClassifier(num_classes=5, backbone="r3d_18", pretrained=str(path))
    for key, value in source.backbone.state_dict().items():
        torch.testing.assert_close(model.backbone.state_dict()[key], value)


def test_labels_set_num_classes() -> None:
    model = tiny_classifier(labels=["a", "b", "c"])
    assert model.num_classes == 3 and model.labels == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"num_classes \(3\) != len\(labels\) \(2\)"):
        tiny_classifier(labels=["a", "b"])
    with pytest.raises(ValueError, match="pass num_classes or labels"):
        VideoClassifier(backbone=TinyBackbone())


def test_unknown_backbone_suggests_names() -> None:
    with pytest.raises(ValueError, match=r"unknown backbone 'x3d_sx'.*did you mean"):
        VideoClassifier(num_classes=3, backbone="x3d_sx", pretrained=False)
    with pytest.raises(TypeError, match=r"registry name or an nn\.Module"):
        VideoClassifier(num_classes=3, backbone=3, pretrained=False)  # type: ignore[arg-type]


def test_module_backbone_needs_a_head_or_num_features() -> None:
    backbone = nn.Sequential(nn.Flatten(), nn.LazyLinear(4))
    with pytest.raises(ValueError, match="no int `num_features`"):
        VideoClassifier(num_classes=3, backbone=backbone)
    model = VideoClassifier(num_classes=3, backbone=backbone, head=nn.Linear(4, 3))
    assert model(torch.randn(2, 3, 2, 4, 4)).shape == (2, 3)


def test_function_head_is_applied_to_features() -> None:
    model = tiny_classifier(head=lambda features: features[:, :3] * 2)
    x = torch.randn(2, 3, 2, 8, 8)
    torch.testing.assert_close(model(x), model.backbone(x)[:, :3] * 2)


def test_optimizer_by_name_is_case_insensitive() -> None:
    model = tiny_classifier(optimizer="sgd", optimizer_kwargs={"momentum": 0.5}, learning_rate=0.1)
    optimizer = model.configure_optimizers()
    assert isinstance(optimizer, torch.optim.SGD)
    assert optimizer.param_groups[0]["lr"] == 0.1 and optimizer.param_groups[0]["momentum"] == 0.5
    assert isinstance(
        tiny_classifier(optimizer=torch.optim.AdamW).configure_optimizers(), torch.optim.AdamW
    )


def test_metric_names_are_flashs() -> None:
    model = tiny_classifier(metrics=[F1Score(task="multiclass", num_classes=3), Precision])
    assert set(model.val_metrics.keys()) == {"f1score", "precision"}
    assert model.val_metrics["f1score"] is not model.train_metrics["f1score"]
    with pytest.raises(ValueError, match="both named 'f1score'"):
        tiny_classifier(metrics=[F1Score(task="multiclass", num_classes=3)] * 2)


def test_forward_checks_the_clip_shape() -> None:
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\), got \(3, 4, 8, 8\)"):
        tiny_classifier()(torch.randn(3, 4, 8, 8))
    mvit = VideoClassifier(num_classes=3, backbone="mvit_v1_b", pretrained=False)
    with pytest.raises(
        ValueError, match=r"'mvit_v1_b' cannot take clips of \(T, H, W\) = \(8, 112, 112\)"
    ):
        mvit(torch.randn(1, 3, 8, 112, 112))


def test_hyperparameters_are_saved_without_objects() -> None:
    model = tiny_classifier(labels=["a", "b", "c"], learning_rate=0.01)
    assert model.hparams["learning_rate"] == 0.01
    assert model.hparams["labels"] == ["a", "b", "c"]
    assert "backbone" not in model.hparams  # a module
    named = VideoClassifier(num_classes=3, pretrained=False, loss_fn=nn.functional.cross_entropy)
    assert named.hparams["backbone"] == "x3d_xs" and named.hparams["pretrained"] is False
    assert "loss_fn" not in named.hparams


# ---------------------------------------------------------------------------- training


def test_fit_logs_flash_metric_names_and_accuracy_matches_an_oracle() -> None:
    data = RandomVideoData(num_videos=6, clip=(2, 8, 8))
    model = tiny_classifier()
    trainer = fastvid.Trainer(max_epochs=1, limit_train_batches=2, **quiet_trainer_kwargs())
    trainer.fit(model, datamodule=data)
    metrics = trainer.callback_metrics
    # Flash's names: the loss function's and the metric's (train: per step and per epoch),
    # plus fastvid's <stage>_loss.
    for key in (
        "train_cross_entropy_step", "train_cross_entropy_epoch", "train_accuracy_step",
        "train_accuracy_epoch", "train_loss", "val_cross_entropy", "val_accuracy", "val_loss",
    ):  # fmt: skip
        assert key in metrics, sorted(metrics)

    model.eval()
    with torch.no_grad():
        logits = model(data.val_set.videos)
    expected = (logits.argmax(-1) == data.val_set.labels).float().mean()
    torch.testing.assert_close(metrics["val_accuracy"], expected)
    expected_loss = nn.functional.cross_entropy(logits, data.val_set.labels)
    torch.testing.assert_close(metrics["val_loss"], expected_loss)
    torch.testing.assert_close(metrics["val_cross_entropy"], expected_loss)


def test_training_reduces_the_loss() -> None:
    torch.manual_seed(0)
    data = RandomVideoData(num_videos=6, clip=(2, 8, 8), batch_size=6)
    model = tiny_classifier(learning_rate=0.05)
    batch = next(iter(data.train_dataloader()))

    def loss() -> torch.Tensor:  # batch statistics in BatchNorm: the loss training sees
        with torch.no_grad():
            return nn.functional.cross_entropy(model.train()(batch["video"]), batch["label"])

    before = loss()
    trainer = fastvid.Trainer(max_epochs=15, limit_val_batches=0, **quiet_trainer_kwargs())
    trainer.fit(model, datamodule=data)
    assert loss() < 0.5 * before


def test_training_batches_need_labels() -> None:
    model = tiny_classifier()
    with pytest.raises(ValueError, match=r"need a 'label' \(or Flash's 'target'\) entry"):
        model.training_step({"video": torch.randn(2, 3, 2, 8, 8)}, 0)
    with pytest.raises(ValueError, match=r"dicts with a 'video' \(or Flash's 'input'\) tensor"):
        model.training_step((torch.randn(2, 3, 2, 8, 8), torch.zeros(2)), 0)  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:.*reference is not registered on the model")  # no trainer
def test_multi_label_uses_sigmoid_and_bce() -> None:
    model = tiny_classifier(multi_label=True)
    assert model.loss_fn == {
        "binary_cross_entropy_with_logits": nn.functional.binary_cross_entropy_with_logits
    }
    assert set(model.train_metrics.keys()) == {"f1score"}
    video = torch.randn(4, 3, 2, 8, 8)
    target = torch.tensor([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]])
    loss = model.training_step({"video": video, "label": target}, 0)
    expected = nn.functional.binary_cross_entropy_with_logits(model(video), target.float())
    torch.testing.assert_close(loss, expected)
    probs = model.predict_step({"video": video}, 0)["probabilities"]
    torch.testing.assert_close(probs, torch.sigmoid(model(video)).detach())


# ---------------------------------------------------------------------------- predictions


def test_predict_returns_clip_probabilities_and_video_names() -> None:
    data = RandomVideoData(num_videos=6, clip=(2, 8, 8))
    model = tiny_classifier()
    trainer = fastvid.Trainer(**quiet_trainer_kwargs())
    predictions = trainer.predict(model, datamodule=data)
    assert predictions is not None and len(predictions) == 3
    first = predictions[0]
    assert first["probabilities"].shape == (2, 3)
    torch.testing.assert_close(first["probabilities"].sum(-1), torch.ones(2))
    assert first["video_name"] == ["video_0.mp4", "video_0.mp4"]
    assert first["clip_index"].tolist() == [0, 1]

    per_video = average_by_video(predictions)  # type: ignore[arg-type]
    assert list(per_video) == ["video_0.mp4", "video_1.mp4", "video_2.mp4"]
    model.eval()
    with torch.no_grad():
        all_probs = torch.softmax(model(data.val_set.videos), dim=-1)
    torch.testing.assert_close(per_video["video_1.mp4"], all_probs[2:4].mean(0))


def test_average_by_video_needs_names() -> None:
    with pytest.raises(ValueError, match="video_name"):
        average_by_video([{"probabilities": torch.ones(1, 3)}])


# ---------------------------------------------------------------------------- checkpoints


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    data = RandomVideoData(num_videos=4, clip=(2, 8, 8))
    model = VideoClassifier(num_classes=3, backbone="x3d_xs", pretrained=False, learning_rate=0.01)
    trainer = fastvid.Trainer(
        max_epochs=1, limit_train_batches=1, limit_val_batches=0, **quiet_trainer_kwargs()
    )
    trainer.fit(model, datamodule=data)
    path = tmp_path / "model.ckpt"
    trainer.save_checkpoint(path)

    restored = VideoClassifier.load_from_checkpoint(path)
    assert restored.hparams["backbone"] == "x3d_xs" and restored.learning_rate == 0.01
    x = torch.randn(2, 3, 2, 8, 8)
    model.eval()
    restored.eval()
    with torch.no_grad():
        torch.testing.assert_close(restored(x), model(x))


def test_is_a_lightning_module_with_a_backbone() -> None:
    model = tiny_classifier()
    assert isinstance(model, pl.LightningModule)
    assert model.modules_to_freeze() is model.backbone
