"""``fastvid.Trainer``: Lightning's ``Trainer`` plus Flash's ``finetune``, Flash's
``predict(..., output=...)`` and the Lightning 1.x arguments Flash users pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import BaseFinetuning, Callback
from pytorch_lightning.utilities import rank_zero_warn

from fastvid.integrations.flash.outputs import Output
from fastvid.integrations.flash.predict_outputs import FlashPredictions, resolve_output
from fastvid.integrations.lightning.trainer_args import translate_trainer_kwargs
from fastvid.models.finetuning import make_finetuning_callback

__all__ = ["Trainer"]

_UNSET: Any = object()


class Trainer(pl.Trainer):
    """``pytorch_lightning.Trainer`` with Flash's :meth:`finetune` and ``predict(output=...)``.

    Lightning 2 arguments (``fast_dev_run=True``, ``max_epochs=...``, ``accelerator=...``)
    behave exactly as in Lightning. The Lightning 1.x arguments Flash 0.8 users pass
    (``gpus``, ``tpu_cores``, ``progress_bar_refresh_rate``, ``weights_summary``,
    ``resume_from_checkpoint``, ``checkpoint_callback``, ``replace_sampler_ddp``,
    ``auto_select_gpus``, ...) are translated, each with one warning naming the Lightning 2
    spelling; one with no equivalent raises ``ValueError`` saying what to write instead.
    ``fit`` and ``finetune`` also take Flash's ``train_dataloader=`` keyword.
    """

    callbacks: list[Callback]  # set by Lightning's callback connector

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._fastvid_resume_from = translate_trainer_kwargs(kwargs)
        super().__init__(*args, **kwargs)

    def fit(
        self,
        model: pl.LightningModule,
        train_dataloaders: Any = None,
        val_dataloaders: Any = None,
        datamodule: pl.LightningDataModule | None = None,
        ckpt_path: str | Path | None = None,
        weights_only: bool | None = None,
        *,
        train_dataloader: Any = _UNSET,
    ) -> None:
        """Lightning's ``fit``; also takes Flash's ``train_dataloader=`` and starts from
        ``Trainer(resume_from_checkpoint=...)`` when no ``ckpt_path`` is given."""
        super().fit(
            model,
            train_dataloaders=_one_of(train_dataloaders, train_dataloader),
            val_dataloaders=val_dataloaders,
            datamodule=datamodule,
            ckpt_path=ckpt_path if ckpt_path is not None else self._fastvid_resume_from,
            weights_only=weights_only,
        )

    def predict(self, *args: Any, output: Output | str | None = None, **kwargs: Any) -> Any:
        """Lightning's ``predict``; with ``output=`` (Flash's), one output per sample.

        Args:
            args: Lightning's ``predict`` arguments (``model``, ``dataloaders``, ...).
            output: ``None`` for the model's own ``predict_step`` results (for
                ``VideoClassifier``: per-batch dicts of clip probabilities, see
                :func:`fastvid.models.classifier.average_by_video`); or Flash's: an output
                name (``"labels"``, ``"probabilities"``, ``"classes"``, ``"logits"``,
                ``"preds"``, ``"raw"``, ``"fiftyone"``) or an
                :class:`~fastvid.integrations.flash.outputs.Output`. Default: ``None``.
            kwargs: Lightning's ``predict`` keyword arguments (``datamodule=``, ...).

        Returns:
            With ``output``: one list per batch holding one output per sample (Flash's
            structure); else Lightning's.
        """
        if output is None:
            return super().predict(*args, **kwargs)
        model = args[0] if args else kwargs.get("model")
        model = model if model is not None else self.lightning_module
        callback = FlashPredictions(resolve_output(output, model))
        before = list(self.callbacks)
        self.callbacks = [c for c in before if not isinstance(c, FlashPredictions)] + [callback]
        try:
            return super().predict(*args, **kwargs)
        finally:
            callback.restore()
            self.callbacks = before

    def finetune(
        self,
        model: pl.LightningModule,
        train_dataloaders: Any = None,
        val_dataloaders: Any = None,
        datamodule: pl.LightningDataModule | None = None,
        strategy: Any = "no_freeze",
        train_bn: bool = True,
        *,
        ckpt_path: str | Path | None = None,
        train_dataloader: Any = _UNSET,
    ) -> None:
        """Fit ``model`` while a finetuning strategy freezes and unfreezes its ``backbone``.

        Same as :meth:`fit` plus one finetuning callback (it replaces any finetuning callback
        already on this trainer, with a warning if that one was not added by ``finetune``).

        Args:
            model: A LightningModule with a ``backbone`` attribute (``VideoClassifier``).
            train_dataloaders: Training dataloader(s) or a ``LightningDataModule``.
                Default: ``None``.
            val_dataloaders: Validation dataloader(s). Default: ``None``.
            datamodule: The ``LightningDataModule`` to fit on. Default: ``None``.
            strategy: ``"no_freeze"``, ``"freeze"``, ``("freeze_unfreeze", unfreeze_epoch)``,
                ``("unfreeze_milestones", ((epoch_last_layers, epoch_all_layers),
                num_layers))`` or a ``BaseFinetuning`` callback. Default: ``"no_freeze"``.
            train_bn: Keep BatchNorm layers trainable while the backbone is frozen.
                Default: ``True``.
            ckpt_path: Checkpoint to resume from, as in :meth:`fit`. Default: ``None``
                (``Trainer(resume_from_checkpoint=...)``'s, if given).
            train_dataloader: Flash's name for ``train_dataloaders``. Default: unset.

        Raises:
            ValueError: ``strategy`` is not one of the accepted forms, or both
                ``train_dataloaders`` and ``train_dataloader`` are given.
        """
        callback = make_finetuning_callback(strategy, train_bn=train_bn)
        self._install_finetuning_callback(callback)
        self.fit(
            model,
            train_dataloaders=_one_of(train_dataloaders, train_dataloader),
            val_dataloaders=val_dataloaders,
            datamodule=datamodule,
            ckpt_path=ckpt_path,
        )

    def _install_finetuning_callback(self, callback: BaseFinetuning) -> None:
        added_before = getattr(self, "_fastvid_finetuning_callback", None)
        kept: list[Callback] = []
        for existing in self.callbacks:
            if isinstance(existing, BaseFinetuning) and existing is not callback:
                if existing is not added_before:
                    rank_zero_warn(
                        f"Trainer.finetune replaces the finetuning callback {existing!r} "
                        f"with {callback!r}"
                    )
                continue
            kept.append(existing)
        if callback not in kept:
            kept.append(callback)
        self.callbacks = kept
        self._fastvid_finetuning_callback = callback


def _one_of(train_dataloaders: Any, train_dataloader: Any) -> Any:
    """Lightning's ``train_dataloaders`` or Flash's ``train_dataloader``, not both."""
    if train_dataloader is _UNSET:
        return train_dataloaders
    if train_dataloaders is not None:
        raise ValueError(
            "both train_dataloaders and train_dataloader (Flash's name) were given: pass one"
        )
    return train_dataloader
