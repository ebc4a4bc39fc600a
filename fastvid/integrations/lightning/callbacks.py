"""Lightning callbacks: :class:`SkippedVideosLogger` logs what the loaders skipped.

The loaders record every video they could not index and every clip they could not decode
(``ClipLoader.skipped``, summarised by :class:`fastvid.reader.loader.skip_report.SkipReport`); this
callback reports the counts to the trainer's loggers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pytorch_lightning as pl
from typing_extensions import override

__all__ = ["SkippedVideosLogger"]


class _Skipped(Protocol):
    """What the callback reads from each entry
    (``fastvid.reader.loader.clip_loader.SkippedClip``)."""

    @property
    def path(self) -> str: ...


class SkippedVideosLogger(pl.Callback):
    """Log how many videos and clips each split skipped, at the end of every epoch.

    Reads ``trainer.datamodule.skipped()`` (``{split: [SkippedClip, ...]}``, as
    :class:`~fastvid.integrations.flash.datamodule.VideoClassificationData` returns it: each split
    loader's ``skipped``, i.e. the videos left out when indexing plus the clips skipped in its
    last epoch, each once) and logs, for each split, ``skipped_videos/<split>`` (distinct files)
    and ``skipped_clips/<split>`` (entries), plus their totals ``skipped_videos`` and
    ``skipped_clips``, to every logger of the trainer. A file that stays bad gives the same
    counts every epoch; they do not add up. Does nothing when the datamodule has no
    ``skipped()``.

    Example::

        trainer = pl.Trainer(callbacks=[SkippedVideosLogger()])
    """

    def metrics(self, trainer: pl.Trainer) -> dict[str, float]:
        """The values this callback logs now (empty without a datamodule that skips).

        Args:
            trainer: The running trainer.
        """
        datamodule = getattr(trainer, "datamodule", None)
        skipped = getattr(datamodule, "skipped", None)
        if not callable(skipped):
            return {}
        per_split: dict[str, Sequence[_Skipped]] = skipped()
        metrics: dict[str, float] = {}
        files: set[str] = set()
        clips = 0
        for split, entries in sorted(per_split.items()):
            paths = {entry.path for entry in entries}
            metrics[f"skipped_videos/{split}"] = float(len(paths))
            metrics[f"skipped_clips/{split}"] = float(len(entries))
            files |= paths
            clips += len(entries)
        metrics["skipped_videos"] = float(len(files))
        metrics["skipped_clips"] = float(clips)
        return metrics

    def _log(self, trainer: pl.Trainer) -> None:
        if getattr(trainer, "sanity_checking", False):
            return
        metrics = self.metrics(trainer)
        if not metrics:
            return
        for logger in getattr(trainer, "loggers", ()):
            logger.log_metrics(metrics, step=trainer.global_step)

    @override
    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._log(trainer)

    @override
    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        state = getattr(trainer, "state", None)
        if getattr(state, "fn", None) == "validate":  # in fit, the train epoch's end logs
            self._log(trainer)

    @override
    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._log(trainer)
