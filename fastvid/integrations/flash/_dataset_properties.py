"""``VideoClassificationData``'s Lightning Flash 0.8 DataModule parts: the ``*_dataset``
properties, the training ``sampler``, ``pin_memory`` and what a stage's raw clips are read
with (mixed in; the options themselves are the DataModule's)."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Sampler, SequentialSampler

from fastvid.integrations.flash.inputs import VideoClassificationInput

__all__ = ["FlashDataModuleParts", "chain"]


class FlashDataModuleParts:
    """Flash 0.8's DataModule properties and loader options (mixed into the DataModule)."""

    _inputs: dict[str, VideoClassificationInput]
    sampler: Any
    video_sampler: Any
    pin_memory: bool
    decode_audio: bool
    decoder: str
    device: str
    seed: int
    storage_options: dict[str, Any] | None

    def _make_sampler(self) -> Any:
        raise NotImplementedError  # the DataModule's

    @property
    def train_dataset(self) -> VideoClassificationInput | None:
        """The training input (Flash's ``Input``: ``data``, ``labels``, ``len()``), or ``None``."""
        return self._inputs.get("train")

    @property
    def val_dataset(self) -> VideoClassificationInput | None:
        """The validation input (``val_split``'s share when it made one), or ``None``."""
        return self._inputs.get("val")

    @property
    def test_dataset(self) -> VideoClassificationInput | None:
        """The test input, or ``None``."""
        return self._inputs.get("test")

    @property
    def predict_dataset(self) -> VideoClassificationInput | None:
        """The prediction input, or ``None``."""
        return self._inputs.get("predict")

    def _dataset_options(self, stage: str) -> dict[str, Any]:
        """What a stage's raw clips (``<stage>_dataset.data``) are read with."""
        return {
            "clip_sampler": self._make_sampler(),
            "video_sampler": self.video_sampler if stage == "train" else SequentialSampler,
            "decode_audio": self.decode_audio,
            "decoder": self.decoder,
            "device": self.device,
            "seed": self.seed,
            "storage_options": self.storage_options,
        }

    def _video_sampler(self, split: str) -> Any:
        """Training: Flash's ``sampler`` (an instance, or called on the train input), else
        ``video_sampler``; other stages visit videos in order."""
        if split != "train":
            return SequentialSampler
        if self.sampler is None:
            return self.video_sampler
        made = self.sampler if isinstance(self.sampler, Sampler) else None
        if made is None and callable(self.sampler):
            made = self.sampler(self.train_dataset)
        if not isinstance(made, Sampler):
            raise TypeError(
                f"sampler must be a torch Sampler instance, or a class / function that makes "
                f"one from the training dataset; {self.sampler!r} gave {made!r}"
            )
        return made

    def on_before_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        """``pin_memory``: pin a CPU batch's tensors before Lightning moves them to the GPU."""
        if not (self.pin_memory and torch.cuda.is_available() and isinstance(batch, dict)):
            return batch
        return {
            k: v.pin_memory() if isinstance(v, torch.Tensor) and v.device.type == "cpu" else v
            for k, v in batch.items()
        }


def chain(first: Any, then: Any) -> Any:
    """``first`` then ``then`` (when there is one) as one sample transform."""
    if then is None:
        return first
    from torchvision.transforms import Compose

    return Compose([first, then])
