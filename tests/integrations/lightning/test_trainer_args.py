"""Lightning 1.x Trainer arguments (Flash 0.8 users') translated for Lightning 2, each with one
warning naming the replacement; the untranslatable ones refused with what to write instead."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from pytorch_lightning.callbacks import ModelSummary, TQDMProgressBar

from fastvid.integrations.lightning.trainer_args import translate_trainer_kwargs
from fastvid.trainer import Trainer


def translated(**kwargs: Any) -> tuple[dict[str, Any], Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resume = translate_trainer_kwargs(kwargs)
    return kwargs, resume, [str(w.message) for w in caught]


@pytest.mark.parametrize(
    ("given", "expected", "named"),
    [
        ({"gpus": 2}, {"accelerator": "gpu", "devices": 2}, "accelerator='gpu', devices=2"),
        ({"gpus": -1}, {"accelerator": "gpu", "devices": -1}, "devices=-1"),
        ({"gpus": "0,1"}, {"accelerator": "gpu", "devices": [0, 1]}, "devices=[0, 1]"),
        ({"gpus": [1]}, {"accelerator": "gpu", "devices": [1]}, "devices=[1]"),
        ({"gpus": 0}, {"accelerator": "cpu"}, "accelerator='cpu'"),
        ({"gpus": None}, {}, "Leave it out"),
        ({"tpu_cores": 8}, {"accelerator": "tpu", "devices": 8}, "accelerator='tpu'"),
        ({"num_processes": 2}, {"accelerator": "cpu", "devices": 2}, "devices=2"),
        ({"num_devices": 8}, {"devices": 8}, "devices=8"),
        ({"accelerator": "ddp"}, {"strategy": "ddp"}, "strategy='ddp'"),
        ({"distributed_backend": "ddp_spawn"}, {"strategy": "ddp_spawn"}, "strategy="),
        ({"progress_bar_refresh_rate": 0}, {"enable_progress_bar": False}, "enable_progress_bar"),
        ({"weights_summary": None}, {"enable_model_summary": False}, "enable_model_summary"),
        ({"checkpoint_callback": False}, {"enable_checkpointing": False}, "enable_checkpointing"),
        ({"replace_sampler_ddp": False}, {"use_distributed_sampler": False}, "use_distributed"),
        (
            {"reload_dataloaders_every_epoch": True},
            {"reload_dataloaders_every_n_epochs": 1},
            "reload_dataloaders_every_n_epochs=1",
        ),
        ({"max_steps": None}, {"max_steps": -1}, "max_steps=-1"),
        ({"amp_backend": "native"}, {}, "Leave it out"),
        ({"auto_select_gpus": False}, {}, "Leave it out"),
        ({"stochastic_weight_avg": False}, {}, "Leave it out"),
        ({"progress_bar_refresh_rate": None}, {}, "Leave it out"),
        ({"resume_from_checkpoint": None}, {}, "Leave it out"),
    ],
)
def test_each_argument_becomes_lightning_2_with_one_warning(
    given: dict[str, Any], expected: dict[str, Any], named: str
) -> None:
    kwargs, _, messages = translated(**given, max_epochs=3)
    assert kwargs == {**expected, "max_epochs": 3}
    assert len(messages) == 1
    assert "Lightning 1.x" in messages[0] and named in messages[0]
    assert next(iter(given)) in messages[0]


def test_flashs_documented_examples() -> None:
    # docs/source/general/training.rst and README.md of Flash 0.8.2
    assert translated(gpus=[1, 3, 5])[0] == {"accelerator": "gpu", "devices": [1, 3, 5]}
    assert translated(gpus=2, precision=16)[0] == {
        "accelerator": "gpu",
        "devices": 2,
        "precision": 16,
    }
    assert translated(accelerator="tpu", num_devices=8)[0] == {"accelerator": "tpu", "devices": 8}
    kwargs, _, messages = translated(strategy="ddp", accelerator="gpu", gpus=2)
    assert kwargs == {"strategy": "ddp", "accelerator": "gpu", "devices": 2}
    assert len(messages) == 1


def test_lightning_2_arguments_pass_untouched_and_silently() -> None:
    given = {"accelerator": "cpu", "devices": 1, "max_steps": 5, "strategy": "auto"}
    kwargs, resume, messages = translated(**given)
    assert kwargs == given and resume is None and messages == []


def test_progress_bar_and_summary_become_callbacks_added_to_the_users() -> None:
    mine = ModelSummary(max_depth=3)
    kwargs, _, messages = translated(
        progress_bar_refresh_rate=5, weights_summary="full", callbacks=[mine]
    )
    bars = [c for c in kwargs["callbacks"] if isinstance(c, TQDMProgressBar)]
    summaries = [c for c in kwargs["callbacks"] if isinstance(c, ModelSummary)]
    assert kwargs["callbacks"][0] is mine
    assert [b.refresh_rate for b in bars] == [5]
    assert [s._max_depth for s in summaries] == [3, -1]
    assert len(messages) == 2


def test_resume_from_checkpoint_is_returned_for_fit() -> None:
    kwargs, resume, messages = translated(resume_from_checkpoint="last.ckpt")
    assert kwargs == {} and resume == "last.ckpt"
    assert "ckpt_path" in messages[0]


@pytest.mark.parametrize(
    ("given", "instead"),
    [
        ({"ipus": 8}, "lightning-graphcore"),
        ({"amp_backend": "apex"}, "precision='16-mixed'"),
        ({"amp_level": "O2"}, "precision='16-mixed'"),
        ({"log_gpu_memory": "all"}, "DeviceStatsMonitor"),
        ({"stochastic_weight_avg": True}, "StochasticWeightAveraging"),
        ({"terminate_on_nan": True}, "detect_anomaly=True"),
        ({"track_grad_norm": 2}, "grad_norm"),
        ({"auto_lr_find": True}, r"Tuner\(trainer\).lr_find"),
        ({"auto_scale_batch_size": "power"}, "scale_batch_size"),
        ({"multiple_trainloader_mode": "min_size"}, "CombinedLoader"),
        ({"flush_logs_every_n_steps": 10}, "CSVLogger"),
        ({"weights_save_path": "ckpts"}, "ModelCheckpoint"),
        ({"truncated_bptt_steps": 4}, "training_step"),
        ({"prepare_data_per_node": False}, "datamodule.prepare_data_per_node"),
        ({"checkpoint_callback": object()}, "callbacks="),
    ],
)
def test_untranslatable_arguments_fail_naming_the_replacement(
    given: dict[str, Any], instead: str
) -> None:
    name = next(iter(given))
    with pytest.raises(ValueError, match=rf"Trainer\({name}=.*{instead}"):
        translate_trainer_kwargs(dict(given))


@pytest.mark.parametrize(
    "given",
    [
        {"gpus": 2, "accelerator": "cpu"},
        {"gpus": 2, "devices": 4},
        {"accelerator": "ddp", "strategy": "fsdp"},
        {"replace_sampler_ddp": True, "use_distributed_sampler": False},
    ],
)
def test_contradicting_arguments_fail(given: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="write"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        translate_trainer_kwargs(dict(given))


def test_weights_summary_must_be_flashs_values() -> None:
    with pytest.raises(ValueError, match="'top', 'full' or None"):
        translate_trainer_kwargs({"weights_summary": "some"})


def test_trainer_accepts_flashs_gpus_argument_on_the_cpu(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match=r"gpus=0.*accelerator='cpu'"):
        trainer = Trainer(default_root_dir=tmp_path, fast_dev_run=True, gpus=0)
    assert type(trainer.accelerator).__name__ == "CPUAccelerator"


def test_trainer_refuses_ipus_before_lightning_sees_them() -> None:
    with pytest.raises(ValueError, match="lightning-graphcore"):
        Trainer(ipus=1)
