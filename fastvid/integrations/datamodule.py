"""``VideoClassificationData``: Lightning Flash's video DataModule, decoded by DALI.

The constructors mirror Flash's (``from_paths`` / ``from_folders``, ``from_files``,
``from_data_frame``, ``from_csv``; the table ones live in ``_tables``) so Flash code runs with
its imports changed. Building an instance is cheap; the metadata index and DALI pipelines are
made in :meth:`setup` (Lightning convention).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytorch_lightning as pl
from torch.utils.data import RandomSampler, Sampler, SequentialSampler

from fastvid._validate import check_choice, check_positive_int
from fastvid.data import layout
from fastvid.data.samplers import FirstClipSampler, as_clip_sampler, make_clip_sampler
from fastvid.data.transforms import (
    BATCH_KEY,
    apply_device_transforms,
    default_transforms,
    sample_transform,
    validate_transform_dict,
)
from fastvid.integrations._stages import (
    STAGES,
    PathLike,
    Split,
    classes_of,
    first_given,
    load_stages,
    per_stage,
    predict_list,
)
from fastvid.integrations._tables import TableConstructors
from fastvid.integrations._webdataset import WebDatasetConstructor
from fastvid.reader import ClipLoader
from fastvid.reader.loader import CPU_DECODERS

__all__ = ["VideoClassificationData"]


class VideoClassificationData(TableConstructors, WebDatasetConstructor, pl.LightningDataModule):
    """Labelled videos for classification, as a LightningDataModule.

    Batches are dicts like PyTorchVideo's: ``video`` (B, C, T, H, W) float32, ``label`` (B,)
    int64 (multi-label data: (B, num_classes) float32 multi-hot), ``video_name`` (list of str),
    ``video_index``, ``clip_index``, ``aug_index``.

    Use a constructor: :meth:`from_paths` / :meth:`from_folders` (class-per-folder trees),
    :meth:`from_files` (lists of paths and targets), :meth:`from_data_frame` and
    :meth:`from_csv` (tables of video ids and targets, Flash's target formats).

    Args:
        splits: The videos of each stage that has any.
        clip_sampler: Clip sampler name (``"random"``, ``"uniform"``,
            ``"constant_clips_per_video"``, ``"random_multi"``) or a sampler object. The
            predict stage keeps one clip per video, the first this sampler draws (Flash's
            predict; ``model.predict`` averages every clip instead). Default: ``"random"``
            (Flash's).
        clip_duration: Clip length in seconds. Default: 2.
        clip_sampler_kwargs: More arguments for the clip sampler. Default: none.
        video_sampler: torch ``Sampler`` class for the training video order; evaluation
            stages visit videos in order. Default: ``RandomSampler``.
        decode_audio: Also decode each clip's audio with PyAV (as Flash/PyTorchVideo with
            ``decode_audio=True``); batches get ``"audio"`` (zero-padded ``(B, N)``),
            ``"audio_lengths"`` and ``"audio_sample_rate"``. Default: ``False``.
        decoder: The CPU decoder (the loader's ``cpu_decoder``) for files not decoded on the
            GPU: ``"pyav"`` (Flash's value: PyAV decodes them), ``"dali"`` (DALI's CPU decoder
            for VP8/VP9/MJPEG, PyAV for the rest) or ``"auto"`` (fastvid picks). On a GPU,
            NVDEC still decodes every file it can. Default: ``"pyav"``.
        batch_size: Clips per batch. Default: 4.
        num_workers: Worker processes preparing samples. ``0`` (torch's and Flash's "no
            worker processes", e.g. for debugging) means fastvid's default, as in the drop-in
            :class:`~fastvid.integrations.pytorchvideo_api.DataLoader`: fastvid always
            decodes in worker processes. Default: chosen per path.
        device: ``"auto"``, ``"gpu"`` or ``"cpu"`` for decoding. Default: ``"auto"``.
        seed: Seed for video order, clips and augmentations. Default: 0.
        storage_options: fsspec options for data given as URLs (``s3://``, ``gs://``,
            ``https://``, ...): credentials, ``client_kwargs={"endpoint_url": ...}``, as in
            Flash and pandas. Default: ``None``.
        loader_kwargs: More :class:`~fastvid.reader.ClipLoader` options (``cache_size=``
            for a local block cache of remote bytes, ...).
    """

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
        batch_size: int = 4,
        num_workers: int | None = None,
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
        self._splits = dict(splits)
        self.clip_sampler = clip_sampler
        self.clip_duration = clip_duration
        self.clip_sampler_kwargs = dict(clip_sampler_kwargs or {})
        self.video_sampler = video_sampler
        self.batch_size = batch_size
        self.num_workers = num_workers
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
        self._loaders: dict[str, ClipLoader] = {}
        self._make_sampler()  # validate the sampler arguments now, not at setup

    # -- constructors ---------------------------------------------------------------------
    @classmethod
    def from_folders(
        cls,
        train_folder: PathLike | None = None,
        val_folder: PathLike | None = None,
        test_folder: PathLike | None = None,
        predict_folder: PathLike | None = None,
        *,
        train_transform: Mapping[str, Any] | None = None,
        val_transform: Mapping[str, Any] | None = None,
        test_transform: Mapping[str, Any] | None = None,
        predict_transform: Mapping[str, Any] | None = None,
        extensions: Sequence[str] = layout.VIDEO_EXTENSIONS,
        storage_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> VideoClassificationData:
        """Class-per-folder trees, one per stage (local folders or URLs: ``s3://b/train``)::

            train_folder
            ├── class_1
            │   ├── a.mp4
            │   └── b.mp4
            └── class_2
                └── c.mp4

        Class names are the sorted sub-folder names of the training folder (labels are their
        positions); other stages use the same classes. A predict folder may hold videos
        directly (no class folders).

        Args:
            train_folder: Training tree. Default: none.
            val_folder: Validation tree. Default: none.
            test_folder: Test tree. Default: none.
            predict_folder: Videos to predict (flat or class-per-folder). Default: none.
            train_transform: Flash-style transform dict for training (replaces the defaults).
                Default: Flash's defaults.
            val_transform: Same, validation. Default: Flash's defaults.
            test_transform: Same, test. Default: Flash's defaults.
            predict_transform: Same, prediction. Default: Flash's defaults.
            extensions: Video file extensions to pick up. Default: common video extensions.
            storage_options: fsspec options for URLs (credentials, endpoint). Default: none.
            **kwargs: The constructor's options (``clip_sampler``, ``clip_duration``, ...).
        """
        lists = load_stages(
            per_stage(train_folder, val_folder, test_folder),
            lambda folder, classes: layout.from_folder(
                folder, extensions=extensions, classes=classes, storage_options=storage_options
            ),
        )
        if predict_folder is not None:
            lists["predict"] = predict_list(
                predict_folder, extensions, classes_of(lists), storage_options
            )
        transforms = per_stage(train_transform, val_transform, test_transform, predict_transform)
        return cls._from_lists(lists, transforms, storage_options=storage_options, **kwargs)

    @classmethod
    def from_paths(
        cls,
        train_data_path: PathLike | None = None,
        val_data_path: PathLike | None = None,
        test_data_path: PathLike | None = None,
        predict_data_path: PathLike | None = None,
        *,
        train_folder: PathLike | None = None,
        val_folder: PathLike | None = None,
        test_folder: PathLike | None = None,
        predict_folder: PathLike | None = None,
        **kwargs: Any,
    ) -> VideoClassificationData:
        """Flash's ``from_paths``: :meth:`from_folders`, accepting both argument spellings
        (``train_data_path=`` and ``train_folder=``)."""
        return cls.from_folders(
            train_folder=first_given("train path", a=train_data_path, b=train_folder),
            val_folder=first_given("val path", a=val_data_path, b=val_folder),
            test_folder=first_given("test path", a=test_data_path, b=test_folder),
            predict_folder=first_given("predict path", a=predict_data_path, b=predict_folder),
            **kwargs,
        )

    @classmethod
    def from_files(
        cls,
        train_files: Sequence[PathLike] | None = None,
        train_targets: Sequence[int | str] | None = None,
        val_files: Sequence[PathLike] | None = None,
        val_targets: Sequence[int | str] | None = None,
        test_files: Sequence[PathLike] | None = None,
        test_targets: Sequence[int | str] | None = None,
        predict_files: Sequence[PathLike] | None = None,
        *,
        train_transform: Mapping[str, Any] | None = None,
        val_transform: Mapping[str, Any] | None = None,
        test_transform: Mapping[str, Any] | None = None,
        predict_transform: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> VideoClassificationData:
        """Lists of video files and their targets (class indices or names), per stage."""

        def load(stage_files: tuple[Any, Any], classes: tuple[str, ...] | None) -> Any:
            files, targets = stage_files
            if targets is None or len(targets) != len(files):
                raise ValueError(
                    "targets must give one target per file "
                    f"({len(files)} files, {None if targets is None else len(targets)} targets)"
                )
            return layout.from_pairs(zip(files, targets, strict=True), classes=classes)

        given = per_stage(
            (train_files, train_targets), (val_files, val_targets), (test_files, test_targets)
        )
        lists = load_stages({k: v for k, v in given.items() if v[0] is not None}, load)
        if predict_files is not None:
            lists["predict"] = layout.from_pairs(
                [(f, 0) for f in predict_files], classes=classes_of(lists) or ("unknown",)
            )
        transforms = per_stage(train_transform, val_transform, test_transform, predict_transform)
        return cls._from_lists(lists, transforms, **kwargs)

    @classmethod
    def _from_lists(
        cls,
        lists: Mapping[str, layout.LabeledVideoList],
        transforms: Mapping[str, Mapping[str, Any] | None],
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
            chosen = (
                validate_transform_dict(given, stage=stage)
                if given is not None
                else default_transforms(stage)
            )
            splits[stage] = Split(videos, chosen)
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

    def _make_loader(self, split: str) -> ClipLoader:
        data = self._splits[split]
        sampler: Any = self._make_sampler()
        if split == "predict":  # Flash: one clip per video, from the configured clip sampler
            sampler = FirstClipSampler(as_clip_sampler(sampler))
        options = {
            "clip_sampler": sampler,
            "transform": sample_transform(data.transforms),
            "batch_transform": data.transforms.get(BATCH_KEY),
            "batch_size": self.batch_size,
            "video_sampler": self.video_sampler if split == "train" else SequentialSampler,
            "device": self.device,
            "num_workers": self.num_workers or None,  # 0: torch's "none", fastvid's default
            "seed": self.seed,
            "cpu_decoder": self.decoder,
            "decode_audio": self.decode_audio,
            "storage_options": self.storage_options,
            **self.loader_kwargs,
        }
        return ClipLoader(data.videos, **options)

    def _loader(self, split: str) -> ClipLoader:
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
        transforms = self._splits[split].transforms if split in self._splits else {}
        return apply_device_transforms(transforms, batch)

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


_OPTION_NAMES = frozenset(
    {
        "clip_sampler",
        "clip_duration",
        "clip_sampler_kwargs",
        "video_sampler",
        "decode_audio",
        "decoder",
        "batch_size",
        "num_workers",
        "device",
        "seed",
        "storage_options",
        "loader_kwargs",
    }
)
