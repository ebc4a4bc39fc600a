"""fastvid.Trainer: Lightning's Trainer plus Flash's ``finetune``, as the seed example uses it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import BaseFinetuning

import fastvid
from fastvid.integrations.flash.outputs import ClassesOutput
from fastvid.models import Freeze, FreezeUnfreeze, NoFreeze, UnfreezeMilestones, VideoClassifier
from fastvid.trainer import Trainer
from tests.models import RandomVideoData, TinyBackbone, quiet_trainer_kwargs


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_is_lightnings_trainer_and_lazily_exported() -> None:
    assert fastvid.Trainer is Trainer
    assert issubclass(Trainer, pl.Trainer)
    trainer = Trainer(max_epochs=7, limit_train_batches=3, **quiet_trainer_kwargs())
    assert trainer.max_epochs == 7 and trainer.limit_train_batches == 3


@pytest.mark.parametrize(
    ("strategy", "callback_type"),
    [
        ("no_freeze", NoFreeze),
        ("freeze", Freeze),
        (("freeze_unfreeze", 1), FreezeUnfreeze),
        (("unfreeze_milestones", ((0, 1), 3)), UnfreezeMilestones),
    ],
)
def test_seed_flow_finetunes_with_every_strategy(strategy: object, callback_type: type) -> None:
    # The seed: VideoClassifier(num_classes=datamodule.num_classes, pretrained=False),
    # flash.Trainer(fast_dev_run=True), trainer.finetune(model, datamodule=datamodule).
    datamodule = RandomVideoData(num_classes=3, clip=(4, 32, 32))
    model = VideoClassifier(num_classes=datamodule.num_classes, pretrained=False)
    trainer = fastvid.Trainer(fast_dev_run=True, **quiet_trainer_kwargs())
    trainer.finetune(model, datamodule=datamodule, strategy=strategy)
    assert trainer.state.finished
    assert [type(c) for c in trainer.callbacks if isinstance(c, BaseFinetuning)] == [callback_type]
    assert "train_loss" in trainer.callback_metrics


def test_seed_flow_with_the_default_strategy_trains_the_backbone() -> None:
    datamodule = RandomVideoData(clip=(4, 32, 32))
    model = VideoClassifier(num_classes=datamodule.num_classes, pretrained=False)
    before = model.backbone.blocks[0].conv.conv_t.weight.detach().clone()
    fastvid.Trainer(fast_dev_run=True, **quiet_trainer_kwargs()).finetune(model, datamodule)
    assert not torch.equal(model.backbone.blocks[0].conv.conv_t.weight, before)


def test_finetune_accepts_dataloaders() -> None:
    data = RandomVideoData(clip=(2, 8, 8))
    model = VideoClassifier(3, backbone=TinyBackbone())
    trainer = Trainer(max_epochs=1, **quiet_trainer_kwargs())
    trainer.finetune(
        model, data.train_dataloader(), data.val_dataloader(), strategy=("freeze_unfreeze", 0)
    )
    assert "val_accuracy" in trainer.callback_metrics


def test_bad_strategy_fails_before_training() -> None:
    model = VideoClassifier(3, backbone=TinyBackbone())
    trainer = Trainer(fast_dev_run=True, **quiet_trainer_kwargs())
    with pytest.raises(ValueError, match=r"unknown finetuning strategy 'frozen'; use"):
        trainer.finetune(model, datamodule=RandomVideoData(clip=(2, 8, 8)), strategy="frozen")
    assert not trainer.state.finished and trainer.global_step == 0


def test_finetune_replaces_earlier_finetuning_callbacks() -> None:
    data = RandomVideoData(clip=(2, 8, 8))
    mine = Freeze()
    trainer = Trainer(fast_dev_run=True, callbacks=[mine], **quiet_trainer_kwargs())
    with pytest.warns(UserWarning, match=r"replaces the finetuning callback Freeze"):
        trainer.finetune(VideoClassifier(3, backbone=TinyBackbone()), datamodule=data)
    trainer.finetune(VideoClassifier(3, backbone=TinyBackbone()), datamodule=data, strategy=mine)
    finetuning = [c for c in trainer.callbacks if isinstance(c, BaseFinetuning)]
    assert finetuning == [mine]


def test_predict_is_lightnings() -> None:
    data = RandomVideoData(clip=(2, 8, 8))
    predictions = Trainer(**quiet_trainer_kwargs()).predict(
        VideoClassifier(3, backbone=TinyBackbone()), datamodule=data
    )
    assert predictions is not None
    assert sum(len(p["video_name"]) for p in predictions) == 6  # type: ignore[index, arg-type]


# ------------------------------------------------------------------ Flash 0.8's surface


class CountBatches(pl.Callback):
    def __init__(self) -> None:
        self.batches = 0

    def on_train_batch_start(self, *args: object) -> None:
        self.batches += 1


def test_finetune_and_fit_take_flashs_train_dataloader_keyword() -> None:
    data = RandomVideoData(clip=(2, 8, 8))
    for method in ("finetune", "fit"):
        counter = CountBatches()
        trainer = Trainer(fast_dev_run=True, callbacks=[counter], **quiet_trainer_kwargs())
        getattr(trainer, method)(
            VideoClassifier(3, backbone=TinyBackbone()), train_dataloader=data.train_dataloader()
        )
        assert counter.batches == 1, method
    with pytest.raises(ValueError, match="train_dataloader"):
        trainer.fit(
            VideoClassifier(3, backbone=TinyBackbone()),
            data.train_dataloader(),
            train_dataloader=data.train_dataloader(),
        )


def test_finetune_takes_strategy_positionally_as_flash() -> None:
    data = RandomVideoData(clip=(2, 8, 8))
    trainer = Trainer(fast_dev_run=True, **quiet_trainer_kwargs())
    trainer.finetune(VideoClassifier(3, backbone=TinyBackbone()), None, None, data, "freeze")
    assert any(isinstance(c, Freeze) for c in trainer.callbacks)


def test_resume_from_checkpoint_resumes_fit(tmp_path: Path) -> None:
    data = RandomVideoData(clip=(2, 8, 8))
    first = Trainer(max_epochs=1, default_root_dir=tmp_path, **quiet_trainer_kwargs())
    first.fit(VideoClassifier(3, backbone=TinyBackbone()), datamodule=data)
    checkpoint = tmp_path / "one_epoch.ckpt"
    first.save_checkpoint(checkpoint)
    counter = CountBatches()
    with pytest.warns(UserWarning, match=r"resume_from_checkpoint=.*ckpt_path="):
        resumed = Trainer(
            max_epochs=2,
            resume_from_checkpoint=checkpoint,
            callbacks=[counter],
            **quiet_trainer_kwargs(),
        )
    resumed.fit(VideoClassifier(3, backbone=TinyBackbone()), datamodule=data)
    assert counter.batches == 3  # only the second epoch's 3 batches ran
    assert resumed.current_epoch == 2


def test_predict_with_output_returns_one_output_per_sample_per_batch() -> None:
    data = RandomVideoData(clip=(2, 8, 8))  # 6 samples, batches of 2
    model = VideoClassifier(labels=["a", "b", "c"], backbone=TinyBackbone())
    trainer = Trainer(**quiet_trainer_kwargs())
    probabilities = trainer.predict(model, datamodule=data, output="probabilities")
    assert isinstance(probabilities, list) and [len(b) for b in probabilities] == [2, 2, 2]
    model.eval()
    with torch.no_grad():
        expected = torch.softmax(model(data.val_set.videos), dim=-1)
    flat = torch.tensor([p for batch in probabilities for p in batch])
    torch.testing.assert_close(flat, expected)
    labels = trainer.predict(model, datamodule=data, output="labels")
    assert labels == [
        [["a", "b", "c"][int(i)] for i in expected.argmax(-1)[k : k + 2]] for k in (0, 2, 4)
    ]
    classes = trainer.predict(model, data.predict_dataloader(), output=ClassesOutput())
    assert classes == [[int(i) for i in expected.argmax(-1)[k : k + 2]] for k in (0, 2, 4)]
    # The model's own predict_step is back afterwards.
    assert "predict_step" not in vars(model)
    plain = trainer.predict(model, datamodule=data)
    assert plain is not None and "probabilities" in plain[0]  # type: ignore[operator]


def test_predict_with_an_unknown_output_names_the_choices() -> None:
    data = RandomVideoData(clip=(2, 8, 8))
    model = VideoClassifier(3, backbone=TinyBackbone())
    with pytest.raises(KeyError, match=r"did you mean \['labels'"):
        Trainer(**quiet_trainer_kwargs()).predict(model, datamodule=data, output="lables")
