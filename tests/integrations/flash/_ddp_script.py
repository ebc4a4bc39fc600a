"""Real 2-process DDP fits on the CPU (gloo), run by ``test_ddp.py`` in a subprocess.

Lightning's ``strategy="ddp"`` launches the other rank by running this script again, so it
must be a file. One fit per ``TRAIN_FOLDER OUT_DIR`` pair, one after the other in the same two
processes (each fit has its own Trainer, DataModule and loaders; the process group is made
once), so the interpreters start once for every dataset. Each rank writes ``rank{r}.json``
into each OUT_DIR: its rank as the Trainer and the loader see it, the epoch the loader
planned, and per epoch the clips of each batch it got (video index, video name, clip index,
aug index).

Usage: python _ddp_script.py EPOCHS SEED TRAIN_FOLDER OUT_DIR [TRAIN_FOLDER OUT_DIR ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from fastvid.integrations.flash.datamodule import VideoClassificationData


class Recorder(pl.LightningModule):
    """A one-layer classifier on each clip's mean colour that records what it is fed."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.head = torch.nn.Linear(3, num_classes)
        self.seen: dict[int, list[list[list[Any]]]] = {}
        self.loader_epochs: dict[int, int] = {}
        self.val_batches: dict[int, int] = {}

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        clips = [
            [int(v), name, int(c), int(a)]
            for v, name, c, a in zip(
                batch["video_index"],
                batch["video_name"],
                batch["clip_index"],
                batch["aug_index"],
                strict=True,
            )
        ]
        self.seen.setdefault(self.current_epoch, []).append(clips)
        logits = self.head(batch["video"].mean(dim=(2, 3, 4)))
        return torch.nn.functional.cross_entropy(logits, batch["label"])

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self.val_batches[self.current_epoch] = self.val_batches.get(self.current_epoch, 0) + 1

    def on_train_epoch_end(self) -> None:
        loader = self.trainer.datamodule._loaders["train"]  # type: ignore[attr-defined]
        # the epoch the loader iterated last (it counts up after each iteration)
        self.loader_epochs[self.current_epoch] = loader._epoch - 1

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def fit(train_folder: str, out_dir: Path, epochs: int, seed: int) -> None:
    """One DDP fit on ``train_folder``; this rank's record goes to ``out_dir``."""
    datamodule = VideoClassificationData.from_paths(
        train_folder=train_folder,
        val_folder=train_folder,  # the val loop runs under DDP too (Lightning checks its sampler)
        clip_sampler="uniform",
        clip_duration=0.5,
        batch_size=2,
        num_workers=1,
        device="cpu",
        seed=seed,
        train_transform={},
        loader_kwargs={"progress": False, "prefetch_batches": 1},
    )
    model = Recorder(datamodule.num_classes)
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=2,
        strategy="ddp",
        max_epochs=epochs,
        num_sanity_val_steps=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, datamodule=datamodule)
    loader = datamodule._loaders["train"]
    record = {
        "trainer_rank": trainer.global_rank,
        "world_size": trainer.world_size,
        "loader_rank": loader.rank,
        "loader_world_size": loader.world_size,
        "len": len(loader),
        "loader_epochs": {str(k): v for k, v in model.loader_epochs.items()},
        "epochs": {str(k): v for k, v in model.seen.items()},
        "val_batches": {str(k): v for k, v in model.val_batches.items()},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"rank{trainer.global_rank}.json").write_text(json.dumps(record))


def main() -> None:
    epochs, seed, folders = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    if not folders or len(folders) % 2:
        raise SystemExit("usage: _ddp_script.py EPOCHS SEED TRAIN_FOLDER OUT_DIR [...]")
    torch.set_num_threads(1)
    for train_folder, out_dir in zip(folders[::2], folders[1::2], strict=True):
        fit(train_folder, Path(out_dir), epochs, seed)


if __name__ == "__main__":
    main()
