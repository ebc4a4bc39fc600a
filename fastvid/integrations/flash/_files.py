"""``VideoClassificationData``'s file sources: ``from_folders`` / ``from_paths`` and
``from_files``, with Lightning Flash 0.8's signatures (positional order and defaults)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from torch.utils.data import RandomSampler, Sampler

from fastvid.data import layout
from fastvid.integrations.flash._stages import (
    ListsConstructor,
    PathLike,
    classes_of,
    first_given,
    flash_args,
    load_stages,
    per_stage,
    predict_list,
    relabel,
)
from fastvid.integrations.flash.input_transform import VideoClassificationInputTransform
from fastvid.integrations.flash.inputs import (
    VideoClassificationFilesInput,
    VideoClassificationFoldersInput,
    VideoClassificationPathsPredictInput,
)
from fastvid.integrations.flash.target_formatters import as_target_format

__all__ = ["FileConstructors", "targets_list"]

F = TypeVar("F", bound="FileConstructors")
Transform = Mapping[str, Any] | None


def targets_list(
    files: Sequence[Any],
    targets: Sequence[Any] | None,
    fmt: layout.TargetFormat | None,
    *,
    name: str,
    storage_options: Any = None,
) -> layout.LabeledVideoList:
    """Files and their targets in any of Flash's target formats (read as a two-column table)."""
    files = list(files)
    targets = None if targets is None else list(targets)
    if targets is None or len(targets) != len(files):
        raise ValueError(
            f"{name}: targets must give one target per file ({len(files)} files, "
            f"{None if targets is None else len(targets)} targets)"
        )
    return layout.from_data_frame(
        {"file": files, "target": targets},
        "file",
        "target",
        target_format=fmt,
        name=name,
        storage_options=storage_options,
    )


class FileConstructors(ListsConstructor):
    """The folder and file-list constructors of ``VideoClassificationData`` (mixed in)."""

    @classmethod
    def from_folders(
        cls: type[F],
        train_folder: PathLike | None = None,
        val_folder: PathLike | None = None,
        test_folder: PathLike | None = None,
        predict_folder: PathLike | None = None,
        target_formatter: Any = None,
        clip_sampler: Any = "random",
        clip_duration: float = 2,
        clip_sampler_kwargs: dict[str, Any] | None = None,
        video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
        decode_audio: bool = False,
        decoder: str = "pyav",
        input_cls: type = VideoClassificationFoldersInput,
        predict_input_cls: type = VideoClassificationPathsPredictInput,
        transform: Any = VideoClassificationInputTransform,
        transform_kwargs: dict[str, Any] | None = None,
        *,
        train_transform: Transform = None,
        val_transform: Transform = None,
        test_transform: Transform = None,
        predict_transform: Transform = None,
        extensions: Sequence[str] = layout.VIDEO_EXTENSIONS,
        **data_module_kwargs: Any,
    ) -> F:
        """Class-per-folder trees, one per stage (local folders or URLs: ``s3://b/train``)::

            train_folder
            ├── class_1
            │   ├── a.mp4
            │   └── b.mp4
            └── class_2
                └── c.mp4

        Class names are the sorted sub-folder names of the training folder (labels are their
        positions; a ``target_formatter`` reads the folder names instead); other stages use the
        same classes. A predict folder may hold videos directly (no class folders).

        Args:
            train_folder: Training tree. Default: none.
            val_folder: Validation tree. Default: none.
            test_folder: Test tree. Default: none.
            predict_folder: Videos to predict (flat or class-per-folder). Default: none.
            target_formatter: A Flash ``TargetFormatter`` for the folder names. Default: none.
            clip_sampler: Clip sampler name or object. Default: ``"random"``.
            clip_duration: Clip length in seconds. Default: 2.
            clip_sampler_kwargs: More clip-sampler arguments. Default: none.
            video_sampler: Training video order (``Sampler`` class or instance).
                Default: ``RandomSampler``.
            decode_audio: Also decode each clip's audio. Default: ``False``.
            decoder: CPU decoder (``"pyav"``, ``"dali"``, ``"auto"``). Default: ``"pyav"``.
            input_cls: What ``train_dataset`` & co. are (a
                :class:`~fastvid.integrations.flash.inputs.VideoClassificationInput` subclass).
                Default: ``VideoClassificationFoldersInput``.
            predict_input_cls: Same for prediction.
                Default: ``VideoClassificationPathsPredictInput``.
            transform: An ``InputTransform`` instance or class, or ``None``.
                Default: ``VideoClassificationInputTransform``.
            transform_kwargs: Arguments for a ``transform`` class. Default: none.
            train_transform: A Flash 0.5-style transform dict for training, instead of the
                ``transform``'s. Default: none.
            val_transform: Same, validation. Default: none.
            test_transform: Same, test. Default: none.
            predict_transform: Same, prediction. Default: none.
            extensions: Video file extensions to pick up. Default: common video extensions.
            **data_module_kwargs: The DataModule's options (``batch_size``, ``val_split``,
                ``num_workers``, ``sampler``, ``storage_options``, ...).
        """
        options = flash_args(locals())
        storage_options = data_module_kwargs.get("storage_options")
        lists = load_stages(
            per_stage(train_folder, val_folder, test_folder),
            lambda folder, classes: layout.from_folder(
                folder, extensions=extensions, classes=classes, storage_options=storage_options
            ),
        )
        fmt = as_target_format(target_formatter)
        if fmt is not None:
            lists = {stage: relabel(videos, fmt) for stage, videos in lists.items()}
        if predict_folder is not None:
            lists["predict"] = predict_list(
                predict_folder, extensions, classes_of(lists), storage_options
            )
        transforms = per_stage(train_transform, val_transform, test_transform, predict_transform)
        return cls._from_lists(lists, transforms, **options, **data_module_kwargs)

    @classmethod
    def from_paths(
        cls: type[F],
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
    ) -> F:
        """Flash's older ``from_paths``: :meth:`from_folders`, accepting both argument spellings
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
        cls: type[F],
        train_files: Sequence[PathLike] | None = None,
        train_targets: Sequence[Any] | None = None,
        val_files: Sequence[PathLike] | None = None,
        val_targets: Sequence[Any] | None = None,
        test_files: Sequence[PathLike] | None = None,
        test_targets: Sequence[Any] | None = None,
        predict_files: Sequence[PathLike] | None = None,
        target_formatter: Any = None,
        clip_sampler: Any = "random",
        clip_duration: float = 2,
        clip_sampler_kwargs: dict[str, Any] | None = None,
        video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
        decode_audio: bool = False,
        decoder: str = "pyav",
        input_cls: type = VideoClassificationFilesInput,
        predict_input_cls: type = VideoClassificationPathsPredictInput,
        transform: Any = VideoClassificationInputTransform,
        transform_kwargs: dict[str, Any] | None = None,
        *,
        train_transform: Transform = None,
        val_transform: Transform = None,
        test_transform: Transform = None,
        predict_transform: Transform = None,
        **data_module_kwargs: Any,
    ) -> F:
        """Lists of video files (paths or URLs) and their targets, per stage.

        Targets may be in any of Flash's formats (class names, indices, comma- or
        space-separated names, lists, one-hot / multi-hot vectors); the training targets decide
        the format and classes unless ``target_formatter`` is given, and the other stages are
        read the same way. The other arguments are :meth:`from_folders`'.
        """
        options = flash_args(locals())
        storage_options = data_module_kwargs.get("storage_options")
        fmt = as_target_format(target_formatter)
        lists: dict[str, layout.LabeledVideoList] = {}
        given = per_stage(
            (train_files, train_targets), (val_files, val_targets), (test_files, test_targets)
        )
        for stage, (files, targets) in given.items():
            if files is not None:
                lists[stage] = targets_list(
                    files, targets, fmt, name=f"{stage}_files", storage_options=storage_options
                )
                fmt = fmt or lists[stage].target_format
        if predict_files is not None:
            lists["predict"] = layout.from_pairs(
                [(f, 0) for f in predict_files], classes=classes_of(lists) or ("unknown",)
            )
        transforms = per_stage(train_transform, val_transform, test_transform, predict_transform)
        return cls._from_lists(lists, transforms, **options, **data_module_kwargs)
