"""``SkippedVideosLogger``: the counts it logs, and when (a full Lightning run is in
``tests/reliability/test_bad_inputs.py``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NamedTuple

from fastvid.integrations import SkippedVideosLogger as FromPackage
from fastvid.integrations.lightning.callbacks import SkippedVideosLogger


class SkippedClip(NamedTuple):
    """The fields of the reader's ``SkippedClip`` (the callback reads ``path`` only)."""

    path: str
    reason: str
    epoch: int | None = None
    clip_index: int | None = None


def _trainer(skipped: dict[str, list[SkippedClip]] | None, **state: Any) -> Any:
    logged: list[tuple[dict[str, float], int]] = []
    recorder = SimpleNamespace(log_metrics=lambda metrics, step: logged.append((metrics, step)))
    datamodule = None if skipped is None else SimpleNamespace(skipped=lambda: skipped)
    return SimpleNamespace(
        datamodule=datamodule, loggers=[recorder], global_step=7, logged=logged, **state
    )


def test_metrics_count_distinct_files_and_entries_per_split() -> None:
    skipped = {
        "val": [SkippedClip("a.mp4", "the file is empty (0 bytes)")],
        "train": [
            SkippedClip("a.mp4", "the file is empty (0 bytes)"),
            SkippedClip("b.mp4", "cannot decode", 0, 1),
            SkippedClip("b.mp4", "cannot decode", 1, 1),
        ],
    }
    trainer = _trainer(skipped)
    assert SkippedVideosLogger().metrics(trainer) == {
        "skipped_videos/train": 2.0,
        "skipped_clips/train": 3.0,
        "skipped_videos/val": 1.0,
        "skipped_clips/val": 1.0,
        "skipped_videos": 2.0,
        "skipped_clips": 4.0,
    }
    SkippedVideosLogger().on_train_epoch_end(trainer, None)  # type: ignore[arg-type]
    assert trainer.logged == [(SkippedVideosLogger().metrics(trainer), 7)]


def test_nothing_is_logged_without_a_skipping_datamodule_or_while_sanity_checking() -> None:
    callback = SkippedVideosLogger()
    without = _trainer(None)
    callback.on_train_epoch_end(without, None)  # type: ignore[arg-type]
    assert callback.metrics(without) == {} and without.logged == []

    checking = _trainer({"val": [SkippedClip("a.mp4", "x")]}, sanity_checking=True)
    callback.on_train_epoch_end(checking, None)  # type: ignore[arg-type]
    assert checking.logged == []


def test_validation_epochs_log_only_in_trainer_validate() -> None:
    skipped = {"val": [SkippedClip("a.mp4", "x")]}
    fitting = _trainer(skipped, state=SimpleNamespace(fn="fit"))
    SkippedVideosLogger().on_validation_epoch_end(fitting, None)  # type: ignore[arg-type]
    assert fitting.logged == []  # the train epoch's end logs during fit
    validating = _trainer(skipped, state=SimpleNamespace(fn="validate"))
    SkippedVideosLogger().on_validation_epoch_end(validating, None)  # type: ignore[arg-type]
    assert [metrics["skipped_clips/val"] for metrics, _ in validating.logged] == [1.0]
    testing = _trainer({"test": [SkippedClip("a.mp4", "x")]})
    SkippedVideosLogger().on_test_epoch_end(testing, None)  # type: ignore[arg-type]
    assert [metrics["skipped_videos"] for metrics, _ in testing.logged] == [1.0]


def test_the_callback_lives_in_integrations_not_in_the_reader() -> None:
    import fastvid.reader.loader.skip_report as report

    assert FromPackage is SkippedVideosLogger
    assert not hasattr(report, "SkippedVideosLogger")  # the reader layer has no Lightning
