"""``VideoClassificationData``'s per-stage inputs: what ``train_dataset`` & co. return.

Flash 0.8's DataModule holds one ``Input`` per stage (``input_cls`` of each ``from_*``) and
returns it from ``train_dataset`` / ``val_dataset`` / ``test_dataset`` / ``predict_dataset``.
fastvid's inputs carry the same things a Flash user reads there: ``data`` (iterating it gives
the stage's raw clips as PyTorchVideo sample dicts, ``"video"`` ``(C, T, H, W)`` float32
0..255, before any transform), ``labels``, ``num_classes``, ``multi_label``, ``running_stage``
and ``len()`` (videos). The batches themselves come from fastvid's loaders, not from here.

A subclass given as ``input_cls`` may override :meth:`VideoClassificationInput.load_sample`
(Flash's per-sample loading hook): it then runs on every decoded sample before the stage's
per-sample transform, in torch (a transform fastvid cannot lower, so nothing after it is
lowered into DALI either).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import RandomSampler, Sampler, SequentialSampler
from torch.utils.data._utils.collate import default_collate

from fastvid.data import layout
from fastvid.integrations.flash._stages import import_class

__all__ = [
    "LabelStudioVideoClassificationInput",
    "TensorClipLoader",
    "TensorVideoDataset",
    "VideoClassificationCSVInput",
    "VideoClassificationCSVPredictInput",
    "VideoClassificationDataFrameInput",
    "VideoClassificationDataFramePredictInput",
    "VideoClassificationFiftyOneInput",
    "VideoClassificationFiftyOnePredictInput",
    "VideoClassificationFilesInput",
    "VideoClassificationFoldersInput",
    "VideoClassificationInput",
    "VideoClassificationPathsPredictInput",
    "VideoClassificationTensorsInput",
    "VideoClassificationTensorsPredictInput",
    "check_input_cls",
]


class VideoClassificationInput:
    """One stage's videos (Flash's ``Input``), as ``train_dataset`` & co. return them.

    Args:
        running_stage: ``"train"``, ``"val"``, ``"test"`` or ``"predict"``.
        videos: The stage's videos and classes.
        tensors: In-memory clips (``from_tensors``), one per video. Default: none (files).
        dataset_options: :class:`~fastvid.integrations.pytorchvideo.api.LabeledVideoDataset`
            options for :attr:`data` (clip sampler, video sampler, decoder, ...).
    """

    def __init__(
        self,
        running_stage: str,
        videos: layout.LabeledVideoList,
        *,
        tensors: Sequence[torch.Tensor] | None = None,
        dataset_options: dict[str, Any] | None = None,
    ) -> None:
        self.running_stage = running_stage
        self.videos = videos
        self.tensors = tensors
        self._options = dict(dataset_options or {})
        self._data: Any = None

    @property
    def training(self) -> bool:
        return self.running_stage == "train"

    @property
    def predicting(self) -> bool:
        return self.running_stage == "predict"

    @property
    def labels(self) -> list[str] | None:
        """Class names (``None`` for prediction inputs, as in Flash)."""
        return None if self.predicting else list(self.videos.classes)

    @property
    def num_classes(self) -> int | None:
        return None if self.predicting else len(self.videos.classes)

    @property
    def multi_label(self) -> bool | None:
        return None if self.predicting else self.videos.multi_label

    @property
    def target_formatter(self) -> layout.TargetFormat | None:
        """How the targets were read (the stage's target format, when it came from targets)."""
        return self.videos.target_format

    @property
    def data(self) -> Any:
        """The stage's raw clips: iterating gives PyTorchVideo sample dicts (``from_tensors``:
        a :class:`TensorVideoDataset`; otherwise fastvid's ``LabeledVideoDataset``)."""
        if self._data is None:
            if self.tensors is not None:
                self._data = TensorVideoDataset(self.videos, self.tensors)
            else:
                from fastvid.integrations.pytorchvideo.api import LabeledVideoDataset

                self._data = LabeledVideoDataset(self.videos.as_pytorchvideo(), **self._options)
        return self._data

    def __len__(self) -> int:
        return len(self.videos)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.data)

    def load_sample(self, sample: dict[str, Any]) -> dict[str, Any]:
        """Flash's hook on each loaded sample (``"video"``, ``"label"``, ...); identity here."""
        return sample

    def sample_hook(self) -> Any:
        """:meth:`load_sample` when a subclass overrides it, else ``None``."""
        if type(self).load_sample is VideoClassificationInput.load_sample:
            return None
        return _LoadSample(self)


class _LoadSample:
    """An input's ``load_sample`` as a sample transform; Flash's keys map back to fastvid's."""

    def __init__(self, source: VideoClassificationInput) -> None:
        self.source = source

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        result = self.source.load_sample(sample)
        renames = {"input": "video", "target": "label"}
        return {renames.get(k, k): v for k, v in result.items()}


def _named(name: str, source: str) -> type[VideoClassificationInput]:
    """A subclass with one of Flash's input class names (what ``isinstance`` checks see)."""
    doc = f"The input of {source} (Flash's ``{name}``); see :class:`VideoClassificationInput`."
    return type(name, (VideoClassificationInput,), {"__doc__": doc, "__module__": __name__})


VideoClassificationFoldersInput = _named(
    "VideoClassificationFoldersInput", "``from_folders``' stages"
)
VideoClassificationFilesInput = _named("VideoClassificationFilesInput", "``from_files``' stages")
VideoClassificationDataFrameInput = _named(
    "VideoClassificationDataFrameInput", "``from_data_frame``'s stages"
)
VideoClassificationCSVInput = _named("VideoClassificationCSVInput", "``from_csv``'s stages")
VideoClassificationFiftyOneInput = _named(
    "VideoClassificationFiftyOneInput", "``from_fiftyone``'s stages"
)
VideoClassificationTensorsInput = _named(
    "VideoClassificationTensorsInput", "``from_tensors``' stages"
)
VideoClassificationPathsPredictInput = _named(
    "VideoClassificationPathsPredictInput", "the predict stage of folders and files"
)
VideoClassificationDataFramePredictInput = _named(
    "VideoClassificationDataFramePredictInput", "``from_data_frame``'s predict stage"
)
VideoClassificationCSVPredictInput = _named(
    "VideoClassificationCSVPredictInput", "``from_csv``'s predict stage"
)
VideoClassificationFiftyOnePredictInput = _named(
    "VideoClassificationFiftyOnePredictInput", "``from_fiftyone``'s predict stage"
)
VideoClassificationTensorsPredictInput = _named(
    "VideoClassificationTensorsPredictInput", "``from_tensors``' predict stage"
)
LabelStudioVideoClassificationInput = _named(
    "LabelStudioVideoClassificationInput", "``from_labelstudio``'s stages"
)


def check_input_cls(name: str, cls: Any) -> type[VideoClassificationInput]:
    """``cls`` (or the class its dotted import path names) if it is a
    :class:`VideoClassificationInput` subclass, else a ``TypeError``."""
    cls = import_class(cls)
    if isinstance(cls, type) and issubclass(cls, VideoClassificationInput):
        return cls
    raise TypeError(
        f"{name} must be a subclass of fastvid's VideoClassificationInput (fastvid decodes the "
        "videos itself; override load_sample to change each sample), got "
        f"{cls!r}"
    )


class TensorVideoDataset:
    """Flash's ``LabeledVideoTensorDataset``: each tensor is one clip; iterating yields
    ``{"video", "video_name", "video_index", "label", "video_label"}`` in video order."""

    def __init__(self, videos: layout.LabeledVideoList, tensors: Sequence[torch.Tensor]) -> None:
        self._videos = videos
        self._tensors = tensors

    def size(self) -> int:
        return len(self._tensors)

    def __len__(self) -> int:
        return len(self._tensors)

    def sample(self, index: int) -> dict[str, Any]:
        """Video ``index`` as a sample dict (float32 clip)."""
        video = self._videos[index]
        label: Any = video.label
        if video.target is not None:
            label = torch.tensor(video.target, dtype=torch.float32)
        return {
            "video": self._tensors[index].to(torch.float32),
            "video_name": video.path,
            "video_index": index,
            "clip_index": 0,
            "aug_index": 0,
            "label": label,
            "video_label": label,
        }

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self.sample(i) for i in range(len(self._tensors)))


class TensorClipLoader:
    """Batches of in-memory clips through a stage's transforms, in torch (``from_tensors``).

    The sample transform runs on each clip, torch's ``default_collate`` stacks them, then the
    batch transform runs; the order is ``video_sampler``'s (seeded per epoch).
    """

    def __init__(
        self,
        dataset: TensorVideoDataset,
        *,
        transform: Any = None,
        batch_transform: Any = None,
        batch_size: int = 1,
        video_sampler: Any = SequentialSampler,
        seed: int = 0,
    ) -> None:
        self.dataset = dataset
        self.transform = transform
        self.batch_transform = batch_transform
        self.batch_size = batch_size
        self.video_sampler = video_sampler
        self.seed = seed
        self.epoch = 0
        self.skipped: list[Any] = []

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _order(self) -> list[int]:
        sampler = self.video_sampler
        if isinstance(sampler, Sampler):
            return [int(i) for i in sampler]
        indices = range(len(self.dataset))
        if sampler is RandomSampler:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
            return [int(i) for i in RandomSampler(indices, generator=generator)]
        return [int(i) for i in sampler(indices)]

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        self.epoch += 1
        for start in range(0, len(order), self.batch_size):
            samples = [self.dataset.sample(i) for i in order[start : start + self.batch_size]]
            if self.transform is not None:
                samples = [self.transform(s) for s in samples]
            batch = default_collate(samples)
            yield self.batch_transform(batch) if self.batch_transform is not None else batch

    def __len__(self) -> int:
        return math.ceil(len(self.dataset) / self.batch_size)

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch = int(state.get("epoch", 0))

    def close(self) -> None:
        """Nothing to release (no workers)."""
