"""Lightning 1.x ``Trainer`` arguments (what Flash 0.8 users pass) translated to Lightning 2.

:func:`translate_trainer_kwargs` rewrites the keyword arguments in place: each 1.x argument
becomes its Lightning 2 spelling with one ``UserWarning`` naming what to write instead; one
with no Lightning 2 equivalent raises ``ValueError`` naming the replacement. Arguments this
table does not know pass through to Lightning unchanged.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["translate_trainer_kwargs"]

#: Lightning 1.x ``accelerator=`` values that were strategies (Lightning 2's ``strategy=``).
_STRATEGY_ACCELERATORS = frozenset({"dp", "ddp", "ddp_spawn", "ddp2", "ddp_cpu", "horovod"})


def _warn(old: str, new: str) -> None:
    warnings.warn(
        f"Trainer({old}) is a Lightning 1.x argument; fastvid passes {new} to Lightning 2 "
        f"instead. Write {new} to silence this warning.",
        UserWarning,
        stacklevel=4,
    )


def _warn_dropped(old: str) -> None:
    warnings.warn(
        f"Trainer({old}) is a Lightning 1.x argument asking for Lightning's default; fastvid "
        "drops it. Leave it out to silence this warning.",
        UserWarning,
        stacklevel=4,
    )


def _refuse(old: str, instead: str) -> ValueError:
    return ValueError(f"Trainer({old}) has no Lightning 2 equivalent: {instead}")


def _set_devices(
    kwargs: dict[str, Any], given: dict[str, Any], old: str, accelerator: str, devices: Any
) -> None:
    """Set ``accelerator`` / ``devices`` for a 1.x device count, refusing a contradiction."""
    for key, value in (("accelerator", accelerator), ("devices", devices)):
        if key in given and given[key] not in (None, "auto", value):
            raise ValueError(
                f"Trainer({old}) and {key}={given[key]!r} disagree: write "
                f"accelerator={accelerator!r}, devices={devices!r} (and drop {old.split('=')[0]})"
            )
    kwargs["accelerator"] = accelerator
    if devices is not None:
        kwargs["devices"] = devices
    _warn(old, f"accelerator={accelerator!r}" + (f", devices={devices!r}" if devices else ""))


def _count(value: Any) -> Any:
    """A 1.x device argument (int, "0,1", "2", [0, 1]) as Lightning 2's ``devices``."""
    if isinstance(value, str):
        value = value.strip()
        if "," in value:
            return [int(part) for part in value.split(",") if part.strip()]
        return int(value)
    return value


def _empty(value: Any) -> bool:
    return value is None or value == 0 or value == [] or value == ""


def _device_arg(accelerator: str) -> Callable[[dict[str, Any], dict[str, Any], str, Any], None]:
    def translate(kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any) -> None:
        old = f"{name}={value!r}"
        if value is None:
            _warn_dropped(old)
        elif _empty(value):
            _set_devices(kwargs, given, old, "cpu", None)
        else:
            _set_devices(kwargs, given, old, accelerator, _count(value))

    return translate


def _ipus(kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any) -> None:
    if _empty(value):
        _warn_dropped(f"{name}={value!r}")
        return
    raise _refuse(
        f"{name}={value!r}",
        "IPU support left Lightning in 2.0; install lightning-graphcore and pass "
        "accelerator=IPUAccelerator(), devices=N",
    )


def _accelerator(kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any) -> None:
    if isinstance(value, str) and value in _STRATEGY_ACCELERATORS:
        if "strategy" in given:
            raise ValueError(
                f"Trainer(accelerator={value!r}) is a Lightning 1.x strategy and "
                f"strategy={given['strategy']!r} is given too: write strategy=... only"
            )
        kwargs.pop("accelerator")
        kwargs["strategy"] = "ddp" if value in ("ddp2", "ddp_cpu") else value
        _warn(f"accelerator={value!r}", f"strategy={kwargs['strategy']!r}")


def _renamed(
    new: str, convert: Callable[[Any], Any] = lambda v: v
) -> Callable[[dict[str, Any], dict[str, Any], str, Any], None]:
    def translate(kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any) -> None:
        kwargs.pop(name)
        if new in given:
            raise ValueError(f"Trainer({name}=...) and {new}=... both given: write {new} only")
        kwargs[new] = convert(value)
        _warn(f"{name}={value!r}", f"{new}={kwargs[new]!r}")

    return translate


def _dropped_unless(
    default: Any, instead: str
) -> Callable[[dict[str, Any], dict[str, Any], str, Any], None]:
    """An argument Lightning 2 removed: its 1.x default is dropped, any other value refused."""

    def translate(kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any) -> None:
        old = f"{name}={value!r}"
        if value == default or value is None:
            kwargs.pop(name)
            _warn_dropped(old)
            return
        raise _refuse(old, instead)

    return translate


def _add_callback(kwargs: dict[str, Any], callback: Any) -> None:
    existing = kwargs.get("callbacks")
    if existing is None:
        kwargs["callbacks"] = [callback]
    elif isinstance(existing, list | tuple):
        kwargs["callbacks"] = [*existing, callback]
    else:
        kwargs["callbacks"] = [existing, callback]


def _progress_bar(kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any) -> None:
    kwargs.pop(name)
    old = f"{name}={value!r}"
    if value is None:
        _warn_dropped(old)
    elif value == 0:
        kwargs["enable_progress_bar"] = False
        _warn(old, "enable_progress_bar=False")
    else:
        from pytorch_lightning.callbacks import TQDMProgressBar

        _add_callback(kwargs, TQDMProgressBar(refresh_rate=int(value)))
        _warn(old, f"callbacks=[TQDMProgressBar(refresh_rate={int(value)})]")


_SUMMARY_DEPTH = {"top": 1, "full": -1}


def _weights_summary(kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any) -> None:
    kwargs.pop(name)
    old = f"{name}={value!r}"
    if value is None:
        kwargs["enable_model_summary"] = False
        _warn(old, "enable_model_summary=False")
        return
    if value not in _SUMMARY_DEPTH:
        raise ValueError(f"Trainer({old}): weights_summary is 'top', 'full' or None")
    from pytorch_lightning.callbacks import ModelSummary

    depth = _SUMMARY_DEPTH[value]
    _add_callback(kwargs, ModelSummary(max_depth=depth))
    _warn(old, f"callbacks=[ModelSummary(max_depth={depth})]")


def _checkpoint_callback(
    kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any
) -> None:
    if not isinstance(value, bool):
        raise _refuse(
            f"{name}={value!r}",
            "pass the ModelCheckpoint in callbacks=[...] (and enable_checkpointing=True)",
        )
    _renamed("enable_checkpointing")(kwargs, given, name, value)


def _auto_select_gpus(kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any) -> None:
    kwargs.pop(name)
    old = f"{name}={value!r}"
    devices = kwargs.get("devices")
    if not value or kwargs.get("accelerator") != "gpu" or not isinstance(devices, int):
        _warn_dropped(old)
        return
    from pytorch_lightning.accelerators import find_usable_cuda_devices

    kwargs["devices"] = find_usable_cuda_devices(devices)
    _warn(
        old,
        f"devices=find_usable_cuda_devices({devices}) "
        "(from pytorch_lightning.accelerators import find_usable_cuda_devices)",
    )


def _max_steps(kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any) -> None:
    if value is None:
        kwargs[name] = -1
        _warn("max_steps=None", "max_steps=-1")


def _resume(kwargs: dict[str, Any], given: dict[str, Any], name: str, value: Any) -> None:
    kwargs.pop(name)
    if value is None:
        _warn_dropped(f"{name}=None")
        return
    kwargs["_fastvid_resume"] = value
    _warn(f"{name}={value!r}", f"trainer.fit(..., ckpt_path={value!r}) (fit and finetune do it)")


_Translator = Callable[[dict[str, Any], dict[str, Any], str, Any], None]

#: In the order they apply: strategies before devices, devices before auto_select_gpus.
_TRANSLATORS: dict[str, _Translator] = {
    "accelerator": _accelerator,
    "distributed_backend": _renamed("strategy"),
    "gpus": _device_arg("gpu"),
    "tpu_cores": _device_arg("tpu"),
    "hpus": _device_arg("hpu"),
    "num_processes": _device_arg("cpu"),
    "ipus": _ipus,
    # Flash 0.8's own docs (general/training.rst) write `Trainer(accelerator="tpu", num_devices=8)`.
    "num_devices": _renamed("devices"),
    "auto_select_gpus": _auto_select_gpus,
    "progress_bar_refresh_rate": _progress_bar,
    "weights_summary": _weights_summary,
    "checkpoint_callback": _checkpoint_callback,
    "resume_from_checkpoint": _resume,
    "replace_sampler_ddp": _renamed("use_distributed_sampler"),
    "reload_dataloaders_every_epoch": _renamed("reload_dataloaders_every_n_epochs", int),
    "max_steps": _max_steps,
    "amp_backend": _dropped_unless(
        "native", "Lightning 2 has only native AMP: pass precision='16-mixed' (apex is gone)"
    ),
    "amp_level": _dropped_unless(None, "apex is gone from Lightning 2: use precision='16-mixed'"),
    "log_gpu_memory": _dropped_unless(
        None, "pass callbacks=[DeviceStatsMonitor()] (pytorch_lightning.callbacks)"
    ),
    "flush_logs_every_n_steps": _dropped_unless(
        None, "pass it to the logger: logger=CSVLogger(save_dir, flush_logs_every_n_steps=N)"
    ),
    "stochastic_weight_avg": _dropped_unless(
        False, "pass callbacks=[StochasticWeightAveraging(swa_lrs=...)]"
    ),
    "terminate_on_nan": _dropped_unless(
        False, "pass detect_anomaly=True, or EarlyStopping(monitor=..., check_finite=True)"
    ),
    "track_grad_norm": _dropped_unless(
        -1,
        "log pytorch_lightning.utilities.grad_norm(self, norm_type=N) in your "
        "LightningModule's on_before_optimizer_step",
    ),
    "prepare_data_per_node": _dropped_unless(
        True, "set prepare_data_per_node on the DataModule (datamodule.prepare_data_per_node)"
    ),
    "multiple_trainloader_mode": _dropped_unless(
        "max_size_cycle", "wrap the loaders: CombinedLoader(loaders, mode=...)"
    ),
    "move_metrics_to_cpu": _dropped_unless(False, "move the metrics yourself (.cpu())"),
    "auto_lr_find": _dropped_unless(
        False, "run Tuner(trainer).lr_find(model) (pytorch_lightning.tuner.Tuner)"
    ),
    "auto_scale_batch_size": _dropped_unless(
        False, "run Tuner(trainer).scale_batch_size(model) (pytorch_lightning.tuner.Tuner)"
    ),
    "truncated_bptt_steps": _dropped_unless(
        None, "split sequences yourself in training_step (Lightning 2 removed TBPTT)"
    ),
    "weights_save_path": _dropped_unless(None, "pass callbacks=[ModelCheckpoint(dirpath=...)]"),
}


def translate_trainer_kwargs(kwargs: dict[str, Any]) -> Any:
    """Rewrite Lightning 1.x ``Trainer`` arguments in ``kwargs`` (in place) for Lightning 2.

    Args:
        kwargs: The ``Trainer(**kwargs)`` arguments; changed in place.

    Returns:
        The ``resume_from_checkpoint`` path (for ``fit``'s ``ckpt_path``), or ``None``.

    Raises:
        ValueError: A 1.x argument with no Lightning 2 equivalent, or two arguments that
            contradict each other; the message says what to write instead.
    """
    given = dict(kwargs)
    for name, translate in _TRANSLATORS.items():
        if name in given:
            translate(kwargs, given, name, given[name])
            if name in kwargs and name in ("gpus", "tpu_cores", "hpus", "num_processes", "ipus"):
                kwargs.pop(name)
    return kwargs.pop("_fastvid_resume", None)
