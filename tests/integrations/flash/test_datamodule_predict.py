"""The predict stage, as Flash's: one clip per video, the first the configured sampler draws;
``Trainer.predict(output=...)`` returns one output per video, grouped per batch."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from pytorchvideo.data import clip_sampling as pv

import fastvid
from fastvid.data.index import probe_video
from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.models import VideoClassifier
from fastvid.testing import make_dataset
from tests.models import TinyBackbone, quiet_trainer_kwargs


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(
        tmp_path_factory.mktemp("predict") / "ds",
        classes=("cat", "dog"),
        per_class=2,
        splits=("train", "val"),
        codec="vp9",
        size=(64, 48),
        duration=2.6,
        fps=10,
    )


def data(root: Path, **kwargs: object) -> VideoClassificationData:
    return VideoClassificationData.from_folders(
        train_folder=root / "train",
        predict_folder=root / "val",
        batch_size=3,
        num_workers=1,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("sampler", "duration", "sampler_kwargs"),
    [("uniform", 1.0, {}), ("constant_clips_per_video", 0.5, {"clips_per_video": 3})],
)
def test_predict_plans_flashs_one_clip_per_video(
    root: Path, sampler: str, duration: float, sampler_kwargs: dict[str, int]
) -> None:
    dm = data(
        root, clip_sampler=sampler, clip_duration=duration, clip_sampler_kwargs=sampler_kwargs
    )
    loader = dm.predict_dataloader()
    try:
        plan = loader.plan(0)
    finally:
        dm.teardown("predict")
    paths = [v.path for v in dm.videos("predict").videos]
    assert [r.path for r in plan] == paths  # one clip per video, in order
    for request in plan:
        length = probe_video(request.path).duration
        flash = pv.make_clip_sampler(sampler, duration, *sampler_kwargs.values())(0.0, length, None)
        assert (Fraction(request.clip_start_sec), Fraction(request.clip_end_sec)) == (
            Fraction(flash.clip_start_sec),
            Fraction(flash.clip_end_sec),
        )


def test_random_sampler_gives_one_clip_per_video_inside_it(root: Path) -> None:
    dm = data(root, clip_sampler="random", clip_duration=1.0)
    try:
        plan = dm.predict_dataloader().plan(0)
    finally:
        dm.teardown("predict")
    assert len(plan) == len(dm.videos("predict").videos)
    for request in plan:
        assert 0 <= request.clip_start_sec < request.clip_end_sec
        assert request.clip_end_sec - request.clip_start_sec == 1


def test_trainer_predict_with_output_returns_one_label_per_video_per_batch(root: Path) -> None:
    dm = data(root, clip_sampler="uniform", clip_duration=1.0)
    model = VideoClassifier(labels=dm.labels, backbone=TinyBackbone(), pretrained=False)
    trainer = fastvid.Trainer(**quiet_trainer_kwargs())
    labels = trainer.predict(model, datamodule=dm, output="labels")
    assert isinstance(labels, list) and [len(batch) for batch in labels] == [3, 1]
    assert all(label in dm.labels for batch in labels for label in batch)
    raw = trainer.predict(model, datamodule=dm, output="raw")
    assert raw is not None
    first = raw[0][0]
    assert first["input"].shape[:2] == (3, 8)  # Flash's default transform: 8 frames
    assert first["preds"].shape == (2,)
    assert first["metadata"]["filepath"] == dm.videos("predict").videos[0].path
    assert first["video_name"] == Path(first["metadata"]["filepath"]).name
    # Without `output`, the model's own per-batch clip probabilities, as before.
    plain = trainer.predict(model, datamodule=dm)
    assert plain is not None and "probabilities" in plain[0]  # type: ignore[operator]
