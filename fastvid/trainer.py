"""``fastvid.Trainer``: Lightning's ``Trainer`` plus Flash's ``finetune``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import BaseFinetuning, Callback
from pytorch_lightning.utilities import rank_zero_warn

from fastvid.models.finetuning import make_finetuning_callback

__all__ = ["Trainer"]


class Trainer(pl.Trainer):
    """``pytorch_lightning.Trainer`` with :meth:`finetune`; every argument passes through.

    ``fastvid.Trainer(fast_dev_run=True)``, ``max_epochs=...``, ``accelerator=...`` and the
    rest behave exactly as in Lightning; ``fit``, ``validate``, ``test`` and ``predict`` are
    Lightning's.
    """

    callbacks: list[Callback]  # set by Lightning's callback connector

    def finetune(
        self,
        model: pl.LightningModule,
        train_dataloaders: Any = None,
        val_dataloaders: Any = None,
        datamodule: pl.LightningDataModule | None = None,
        *,
        strategy: Any = "no_freeze",
        train_bn: bool = True,
        ckpt_path: str | Path | None = None,
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
            ckpt_path: Checkpoint to resume from, as in :meth:`fit`. Default: ``None``.

        Raises:
            ValueError: ``strategy`` is not one of the accepted forms.
        """
        callback = make_finetuning_callback(strategy, train_bn=train_bn)
        self._install_finetuning_callback(callback)
        self.fit(
            model,
            train_dataloaders=train_dataloaders,
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
