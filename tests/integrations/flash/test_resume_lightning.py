"""A real Lightning run killed mid-epoch and resumed from its checkpoints sees exactly the
batches the uninterrupted run saw from that point on.

Lightning (2.x) saves ``ClipLoader.state_dict()`` into every checkpoint (the fit loop's
``combined_loader`` entry) and, resuming mid-epoch, calls ``load_state_dict`` before it
iterates the loader; ``VideoClassificationData`` also saves the training loader's position in
its own checkpoint entry, which Lightning restores on every resume: a checkpoint written at
an epoch's end resumes at the next epoch's start (the fit loop does not reload loader states
there).

The run: two epochs of four batches (8 tiny H.264 videos, random clips, random video order,
random scale / crop / flip), a ``ModelCheckpoint`` every 2 training steps (mid-epoch 0, the
end of epoch 0, mid-epoch 1) and one at each epoch's end, killed by an exception at step 7.
Each batch is recorded by its video names, clip indices and a hash of its pixels.
"""

from __future__ import annotations

import gc
import hashlib
from pathlib import Path
from typing import Any

import pytest
import pytorch_lightning as pl
import torch
import torchvision.transforms as tv
from pytorch_lightning.callbacks import Callback, ModelCheckpoint
from pytorchvideo.transforms import (
    ApplyTransformToKey,
    RandomShortSideScale,
    UniformTemporalSubsample,
)

import fastvid  # noqa: F401
from fastvid.integrations.flash.datamodule import VideoClassificationData
from fastvid.testing import make_video

NUM_VIDEOS = 8
BATCH = 2
STEPS_PER_EPOCH = NUM_VIDEOS // BATCH
KILL_AT_STEP = 7


class Killed(RuntimeError):
    """The run was killed (raised from a callback)."""


class Recorder(Callback):
    """Records each training batch: (epoch, batch_idx, names, clip indices, pixel hash)."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, ...]] = []

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        pixels = batch["video"].detach().cpu().contiguous().numpy().tobytes()
        self.seen.append(
            (
                trainer.current_epoch,
                batch_idx,
                tuple(batch["video_name"]),
                tuple(batch["clip_index"].tolist()),
                hashlib.sha1(pixels).hexdigest(),
            )
        )


class Kill(Callback):
    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == KILL_AT_STEP:
            raise Killed(f"killed at step {KILL_AT_STEP}")


class TinyModel(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(3, 2)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        features = batch["video"].mean(dim=(2, 3, 4))
        return torch.nn.functional.cross_entropy(self.layer(features), batch["label"])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.01)


class LoaderModel(TinyModel):
    """Gives Lightning the ``ClipLoader`` itself (no DataModule in the checkpoint)."""

    def __init__(self, loader: Any) -> None:
        super().__init__()
        self.loader = loader

    def train_dataloader(self) -> Any:
        return self.loader


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, int]]:
    root = tmp_path_factory.mktemp("lightning_resume")
    return [
        (
            str(
                make_video(
                    root / f"v{i}.mp4",
                    codec="h264",
                    size=(64, 48),
                    fps=15,
                    duration=1.5,
                    seed=i,
                    content="flat",
                )
            ),
            i % 2,
        )
        for i in range(NUM_VIDEOS)
    ]


def datamodule(videos: list[tuple[str, int]], workers: int) -> VideoClassificationData:
    video = tv.Compose(
        [
            UniformTemporalSubsample(4),
            RandomShortSideScale(min_size=48, max_size=60),
            tv.RandomCrop(40),
            tv.RandomHorizontalFlip(p=0.5),
        ]
    )
    return VideoClassificationData.from_files(
        train_files=[p for p, _ in videos],
        train_targets=[label for _, label in videos],
        train_transform={"post_tensor_transform": ApplyTransformToKey("video", video)},
        clip_sampler="random",
        clip_duration=0.5,
        batch_size=BATCH,
        num_workers=workers,
        device="cpu",
        seed=3,
        loader_kwargs={"num_threads": 1, "progress": False},
    )


def fit(
    videos: list[tuple[str, int]],
    *,
    workers: int = 1,
    callbacks: tuple[Callback, ...] = (),
    ckpt_path: Path | None = None,
    recorder: Recorder | None = None,
    plain_loader: bool = False,
) -> list[tuple[Any, ...]]:
    """One ``Trainer.fit`` of two epochs; the batches it trained on."""
    recorder = recorder or Recorder()
    trainer = pl.Trainer(
        max_epochs=2,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=any(isinstance(c, ModelCheckpoint) for c in callbacks),
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[recorder, *callbacks],
    )
    data = datamodule(videos, workers)
    pl.seed_everything(0)  # the model's initial weights; the batches do not depend on it
    try:
        if plain_loader:
            data.setup("fit")
            trainer.fit(LoaderModel(data.train_dataloader()), ckpt_path=ckpt_path)
        else:
            trainer.fit(TinyModel(), datamodule=data, ckpt_path=ckpt_path)
    finally:
        data.teardown()
        gc.collect()
    return recorder.seen


@pytest.fixture(scope="module")
def runs(videos: list[tuple[str, int]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The uninterrupted run's batches, and the killed run's batches and checkpoints."""
    uninterrupted = fit(videos)
    folder = tmp_path_factory.mktemp("checkpoints")
    every_2_steps = ModelCheckpoint(
        dirpath=folder / "steps", every_n_train_steps=2, save_top_k=-1, filename="{step}"
    )
    epoch_end = ModelCheckpoint(
        dirpath=folder / "epochs",
        every_n_epochs=1,
        save_top_k=-1,
        save_on_train_epoch_end=True,
        filename="{epoch}",
    )
    killed = Recorder()
    with pytest.raises(Killed):
        fit(videos, callbacks=(every_2_steps, epoch_end, Kill()), recorder=killed)
    return {"uninterrupted": uninterrupted, "folder": folder, "killed": killed.seen}


def test_uninterrupted_run_trains_two_reshuffled_epochs(runs: dict[str, Any]) -> None:
    seen = runs["uninterrupted"]
    assert [(e, i) for e, i, *_ in seen] == [
        (e, i) for e in range(2) for i in range(STEPS_PER_EPOCH)
    ]
    names = [[n for s in seen if s[0] == e for n in s[2]] for e in range(2)]
    assert sorted(names[0]) == sorted(names[1]) and names[0] != names[1]
    # the killed run saw the same batches until it was killed
    assert runs["killed"] == seen[:KILL_AT_STEP]


@pytest.mark.parametrize(
    ("checkpoint", "step", "workers"),
    [
        ("steps/step=2.ckpt", 2, 1),  # mid-epoch 0
        ("steps/step=2.ckpt", 2, 2),  # mid-epoch 0, resumed with another worker count
        ("steps/step=4.ckpt", 4, 1),  # after epoch 0's last batch, before its end hooks
        ("epochs/epoch=0.ckpt", 4, 2),  # at epoch 0's end
        ("steps/step=6.ckpt", 6, 1),  # mid-epoch 1: the killed run's last checkpoint
    ],
)
def test_resumed_run_sees_the_uninterrupted_batches(
    videos: list[tuple[str, int]], runs: dict[str, Any], checkpoint: str, step: int, workers: int
) -> None:
    path = runs["folder"] / checkpoint
    assert path.exists(), sorted(p.name for p in runs["folder"].rglob("*.ckpt"))
    resumed = fit(videos, workers=workers, ckpt_path=path)
    assert resumed == runs["uninterrupted"][step:]


def test_lightning_restores_a_plain_loader_mid_epoch(
    videos: list[tuple[str, int]], runs: dict[str, Any]
) -> None:
    """Without the DataModule, the fit loop's own loader state resumes the run mid-epoch."""
    path = runs["folder"] / "steps/step=6.ckpt"
    resumed = fit(videos, workers=2, ckpt_path=path, plain_loader=True)
    assert resumed == runs["uninterrupted"][6:]
