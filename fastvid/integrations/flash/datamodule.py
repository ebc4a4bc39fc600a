"""``VideoClassificationData``: Lightning Flash's video DataModule, decoded by DALI.

The constructors mirror Flash 0.8's, positional order and defaults included (``from_folders``
/ ``from_paths`` and ``from_files`` in ``_files``, ``from_data_frame`` / ``from_csv`` in
``_tables``, ``from_tensors`` in ``_memory``, ``from_labelstudio`` in ``_labelstudio``,
``from_fiftyone`` in ``_fiftyone``, ``from_webdataset`` in ``_webdataset``) so Flash code runs
with its imports changed. Building an instance is cheap; the metadata index and DALI pipelines
are made in :meth:`setup` (Lightning convention).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import pytorch_lightning as pl
from torch.utils.data import RandomSampler, Sampler

from fastvid._validate import check_choice, check_positive_int
from fastvid.data import layout
from fastvid.data.samplers import FirstClipSampler, as_clip_sampler, make_clip_sampler
from fastvid.data.transforms import (
    BATCH_KEY,
    apply_device_transforms,
    sample_transform,
    validate_transform_dict,
)
from fastvid.integrations.flash._dataset_properties import FlashDataModuleParts, chain
from fastvid.integrations.flash._fiftyone import FiftyOneConstructor
from fastvid.integrations.flash._files import FileConstructors
from fastvid.integrations.flash._labelstudio import LabelStudioConstructor
from fastvid.integrations.flash._memory import TensorConstructor
from fastvid.integrations.flash._stages import STAGES, Split, split_train_val
from fastvid.integrations.flash._tables import TableConstructors
from fastvid.integrations.flash._webdataset import WebDatasetConstructor
from fastvid.integrations.flash.input_transform import (
    VideoClassificationInputTransform,
    resolve_input_transform,
    stage_transform_dict,
)
from fastvid.integrations.flash.inputs import (
    TensorClipLoader,
    VideoClassificationInput,
    check_input_cls,
)
from fastvid.reader import ClipLoader
from fastvid.reader.loader.clip_loader import CPU_DECODERS

__all__ = ["VideoClassificationData"]


class VideoClassificationData(
    FileConstructors,
    TableConstructors,
    TensorConstructor,
    LabelStudioConstructor,
    FiftyOneConstructor,
    WebDatasetConstructor,
    FlashDataModuleParts,
    pl.LightningDataModule,
):
    """Labelled videos for classification, as a LightningDataModule.

    Batches are dicts like PyTorchVideo's: ``video`` (B, C, T, H, W) float32, ``label`` (B,)
    int64 (multi-label data: (B, num_classes) float32 multi-hot), ``video_name`` (list of str),
    ``video_index``, ``clip_index``, ``aug_index``. (Flash 0.8 names the first two ``input``
    and ``target``; its ``InputTransform`` hooks see those names, see
    :mod:`fastvid.integrations.flash.input_transform`.)

    Use a constructor: :meth:`from_folders` / :meth:`from_paths` (class-per-folder trees),
    :meth:`from_files` (lists of paths and targets), :meth:`from_data_frame` and
    :meth:`from_csv` (tables), :meth:`from_tensors` (clips in memory),
    :meth:`from_labelstudio`, :meth:`from_fiftyone`, :meth:`from_webdataset`.

    Args:
        splits: The videos of each stage that has any.
        clip_sampler: Clip sampler name (``"random"``, ``"uniform"``,
            ``"constant_clips_per_video"``, ``"random_multi"``) or a sampler object. The
            predict stage keeps one clip per video, the first this sampler draws (Flash's
            predict; ``model.predict`` averages every clip instead). Default: ``"random"``
            (Flash's).
        clip_duration: Clip length in seconds. Default: 2.
        clip_sampler_kwargs: More arguments for the clip sampler. Default: none.
        video_sampler: torch ``Sampler`` class or instance for the training video order;
            evaluation stages visit videos in order. Default: ``RandomSampler``.
        decode_audio: Also decode each clip's audio with PyAV (as Flash/PyTorchVideo with
            ``decode_audio=True``); batches get ``"audio"`` (zero-padded ``(B, N)``),
            ``"audio_lengths"`` and ``"audio_sample_rate"``. Default: ``False``.
        decoder: The CPU decoder (the loader's ``cpu_decoder``) for files not decoded on the
            GPU: ``"pyav"`` (Flash's value: PyAV decodes them), ``"dali"`` (DALI's CPU decoder
            for VP8/VP9/MJPEG, PyAV for the rest) or ``"auto"`` (fastvid picks). On a GPU,
            NVDEC still decodes every file it can. Default: ``"pyav"``.
        transform: Flash 0.8's ``InputTransform``: an instance, a class (built with
            ``transform_kwargs``) or ``None`` (no transforms); stages with a transform dict of
            their own (``train_transform=``, ...) use that. Default:
            :class:`~fastvid.integrations.flash.input_transform.VideoClassificationInputTransform`.
        transform_kwargs: Arguments for a ``transform`` class. Default: none.
        val_split: Fraction of the training videos to validate on instead (Flash's; seeded by
            ``seed``, see :func:`~fastvid.integrations.flash._stages.split_train_val`). Default:
            none.
        batch_size: Clips per batch. Default: 4.
        num_workers: Worker processes preparing samples. ``0`` (torch's and Flash's "no
            worker processes", e.g. for debugging) means fastvid's default, as in the drop-in
            :class:`~fastvid.integrations.pytorchvideo.api.DataLoader`: fastvid always
            decodes in worker processes. Default: chosen per path.
        sampler: Flash's training ``sampler``: a ``Sampler`` instance, or a class / callable
            given :attr:`train_dataset`; it orders the training *videos* (it replaces
            ``video_sampler`` for training). Default: none.
        pin_memory: Pin CPU batches before Lightning moves them to a GPU (only when CUDA is
            available). Default: ``True`` (Flash's).
        persistent_workers: Flash's option; fastvid's worker processes always live across
            epochs, so it changes nothing (stored as Flash stores it). Default: ``False``.
        input_cls: What :attr:`train_dataset`, :attr:`val_dataset` and :attr:`test_dataset`
            are (a ``VideoClassificationInput`` subclass). Default: the base class.
        predict_input_cls: Same for :attr:`predict_dataset`. Default: the base class.
        device: ``"auto"``, ``"gpu"`` or ``"cpu"`` for decoding. Default: ``"auto"``.
        seed: Seed for video order, clips, augmentations and ``val_split``. Default: 0.
        storage_options: fsspec options for data given as URLs (``s3://``, ``gs://``,
            ``https://``, ...): credentials, ``client_kwargs={"endpoint_url": ...}``, as in
            Flash and pandas. Default: ``None``.
        loader_kwargs: More :class:`~fastvid.reader.ClipLoader` options (``cache_size=``
            for a local block cache of remote bytes, ...).
    """

    input_transform_cls = VideoClassificationInputTransform

    def __init__(
        self,
        splits: Mapping[str, Split],
        *,
        clip_sampler: Any = "random",
        clip_duration: float = 2,
        clip_sampler_kwargs: dict[str, Any] | None = None,
        video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
        decode_audio: bool = False,
        decoder: str = "pyav",
        transform: Any = VideoClassificationInputTransform,
        transform_kwargs: dict[str, Any] | None = None,
        val_split: float | None = None,
        batch_size: int = 4,
        num_workers: int | None = None,
        sampler: Any = None,
        pin_memory: bool = True,
        persistent_workers: bool = False,
        input_cls: type = VideoClassificationInput,
        predict_input_cls: type = VideoClassificationInput,
        device: str = "auto",
        seed: int = 0,
        storage_options: dict[str, Any] | None = None,
        loader_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        check_choice("decoder", decoder, CPU_DECODERS)
        check_positive_int("batch_size", batch_size)
        if not splits:
            raise ValueError("no data: pass at least one of the train/val/test/predict sources")
        self.input_transform = resolve_input_transform(
            transform, transform_kwargs, default=self.input_transform_cls
        )
        self._splits = split_train_val(dict(splits), val_split, seed)
        self._transforms = {
            stage: split.transforms
            if split.transforms is not None
            else stage_transform_dict(self.input_transform, stage)
            for stage, split in self._splits.items()
        }
        self.clip_sampler = clip_sampler
        self.clip_duration = clip_duration
        self.clip_sampler_kwargs = dict(clip_sampler_kwargs or {})
        self.video_sampler = video_sampler
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.sampler = sampler
        self.pin_memory = pin_memory
        self.persistent_workers = persistent_workers and bool(num_workers)
        self.device = device
        self.seed = seed
        self.storage_options = storage_options
        self.loader_kwargs = dict(loader_kwargs or {})
        if "cpu_decoder" in self.loader_kwargs and self.loader_kwargs["cpu_decoder"] != decoder:
            raise ValueError(
                f"decoder ({decoder!r}) and loader_kwargs['cpu_decoder'] "
                f"({self.loader_kwargs['cpu_decoder']!r}) disagree: they are the same option, "
                "pass only decoder"
            )
        self.decoder = decoder
        self.decode_audio = decode_audio
        self._loaders: dict[str, Any] = {}
        self._make_sampler()  # validate the sampler arguments now, not at setup
        classes = {
            stage: check_input_cls("predict_input_cls" if stage == "predict" else "input_cls", c)
            for stage, c in (("train", input_cls), ("predict", predict_input_cls))
        }
        self._inputs = {
            stage: classes["predict" if stage == "predict" else "train"](
                stage,
                split.videos,
                tensors=split.tensors,
                dataset_options=self._dataset_options(stage),
            )
            for stage, split in self._splits.items()
        }

    @classmethod
    def _from_lists(
        cls,
        lists: Mapping[str, layout.LabeledVideoList],
        transforms: Mapping[str, Mapping[str, Any] | None],
        *,
        tensors: Mapping[str, tuple[Any, ...]] | None = None,
        **kwargs: Any,
    ) -> VideoClassificationData:
        unknown = set(kwargs) - _OPTION_NAMES
        if unknown:
            raise TypeError(
                f"unexpected argument(s) {', '.join(sorted(unknown))}; "
                f"accepted: {', '.join(sorted(_OPTION_NAMES))}"
            )
        splits = {}
        for stage, videos in lists.items():
            given = transforms.get(stage)
            chosen = None if given is None else validate_transform_dict(given, stage=stage)
            splits[stage] = Split(videos, chosen, (tensors or {}).get(stage))
        return cls(splits, **kwargs)

    # -- Flash properties -----------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        """Class names, in label order."""
        for stage in STAGES:
            if stage in self._splits and stage != "predict":
                return list(self._splits[stage].videos.classes)
        return list(self._splits[next(iter(self._splits))].videos.classes)

    @property
    def num_classes(self) -> int:
        """Number of classes (from the training data, else the first stage given)."""
        return len(self.labels)

    @property
    def multi_label(self) -> bool:
        """Whether targets are multi-hot vectors (tables with multi-label targets)."""
        return any(self._splits[s].videos.multi_label for s in self.stages if s != "predict")

    def videos(self, stage: str) -> layout.LabeledVideoList:
        """The videos of ``stage`` (``"train"``, ``"val"``, ``"test"`` or ``"predict"``)."""
        if stage not in self._splits:
            raise KeyError(f"no {stage} data; stages with data: {', '.join(self.stages)}")
        return self._splits[stage].videos

    @property
    def stages(self) -> tuple[str, ...]:
        """Stages that have data."""
        return tuple(s for s in STAGES if s in self._splits)

    # -- Lightning hooks ------------------------------------------------------------------
    def _make_sampler(self) -> Any:
        if isinstance(self.clip_sampler, str):
            return make_clip_sampler(
                self.clip_sampler, self.clip_duration, **self.clip_sampler_kwargs
            )
        return self.clip_sampler

    def setup(self, stage: str | None = None) -> None:
        """Index the videos of the stages ``stage`` needs and build their loaders."""
        wanted = {
            "fit": ("train", "val"),
            "validate": ("val",),
            "test": ("test",),
            "predict": ("predict",),
        }.get(stage or "", STAGES)
        for split in wanted:
            if split in self._splits and split not in self._loaders:
                self._loaders[split] = self._make_loader(split)

    def _make_loader(self, split: str) -> Any:
        data, transforms = self._splits[split], self._transforms[split]
        hook = self._inputs[split].sample_hook()
        if hook is not None:  # the input's load_sample runs first
            first = transforms.get("pre_tensor_transform")
            transforms = {**transforms, "pre_tensor_transform": chain(hook, first)}
        common = {
            "transform": sample_transform(transforms),
            "batch_transform": transforms.get(BATCH_KEY),
            "batch_size": self.batch_size,
            "video_sampler": self._video_sampler(split),
            "seed": self.seed,
        }
        if data.tensors is not None:
            return TensorClipLoader(self._inputs[split].data, **common)
        sampler: Any = self._make_sampler()
        if split == "predict":  # Flash: one clip per video, from the configured clip sampler
            sampler = FirstClipSampler(as_clip_sampler(sampler))
        options = {
            **common,
            "clip_sampler": sampler,
            "device": self.device,
            "num_workers": self.num_workers or None,  # 0: torch's "none", fastvid's default
            "cpu_decoder": self.decoder,
            "decode_audio": self.decode_audio,
            "storage_options": self.storage_options,
            **self.loader_kwargs,
        }
        return ClipLoader(data.videos, **options)

    def _loader(self, split: str) -> Any:
        if split not in self._splits:
            raise RuntimeError(
                f"no {split} data: pass {split}_folder (or {split}_files / {split}_file) "
                "when building VideoClassificationData"
            )
        if split not in self._loaders:
            self._loaders[split] = self._make_loader(split)
        return self._loaders[split]

    def train_dataloader(self) -> Any:
        return self._loader("train")

    def val_dataloader(self) -> Any:
        return self._loader("val") if "val" in self._splits else []

    def test_dataloader(self) -> Any:
        return self._loader("test")

    def predict_dataloader(self) -> Any:
        return self._loader("predict")

    def _current_split(self) -> str:
        trainer = self.trainer
        if trainer is None:
            return "train"
        if trainer.training:
            return "train"
        if trainer.validating or trainer.sanity_checking:
            return "val"
        if trainer.testing:
            return "test"
        return "predict"

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        """Run the stage's ``*_transform_on_device`` transforms on the moved batch."""
        split = self._current_split()
        return apply_device_transforms(self._transforms.get(split, {}), batch)

    def state_dict(self) -> dict[str, Any]:
        """The training loader's position (:meth:`ClipLoader.state_dict`), saved by Lightning
        in every checkpoint: a run resumed from a checkpoint written at an epoch's end starts
        the next epoch (Lightning itself restores loader states only mid-epoch)."""
        loader = self._loaders.get("train")
        return {} if loader is None else {"train_loader": loader.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Put the training loader where :meth:`state_dict` left it."""
        if "train_loader" in state_dict and "train" in self._splits:
            self._loader("train").load_state_dict(state_dict["train_loader"])

    def skipped(self) -> dict[str, list[Any]]:
        """Per stage, its loader's ``skipped``: the videos left out when indexing and the clips
        skipped in its last epoch, each once (file, reason, kind)."""
        return {split: list(loader.skipped) for split, loader in self._loaders.items()}

    def teardown(self, stage: str | None = None) -> None:
        for loader in self._loaders.values():
            loader.close()


_OPTION_NAMES = frozenset(inspect.signature(VideoClassificationData.__init__).parameters) - {
    "self",
    "splits",
}
