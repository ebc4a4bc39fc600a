"""``VideoClassificationData``'s table sources: ``from_data_frame`` and ``from_csv``.

Flash's signatures (``input_field``, ``target_fields``, then ``<stage>_data_frame`` /
``<stage>_file``, ``<stage>_videos_root``, ``<stage>_resolver`` for each stage). The first
labelled stage (train, else val, else test) decides the target format and the classes; the other
stages read theirs the same way (Flash passes the training ``target_formatter`` on). The parsing
is :mod:`fastvid.data.layout` (``from_data_frame``, ``from_csv_fields``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from torch.utils.data import RandomSampler, Sampler

from fastvid.data import layout
from fastvid.integrations.flash._stages import (
    STAGES,
    ListsConstructor,
    PathLike,
    flash_args,
    per_stage,
)
from fastvid.integrations.flash.input_transform import VideoClassificationInputTransform
from fastvid.integrations.flash.inputs import (
    VideoClassificationCSVInput,
    VideoClassificationCSVPredictInput,
    VideoClassificationDataFrameInput,
    VideoClassificationDataFramePredictInput,
)
from fastvid.integrations.flash.target_formatters import as_target_format

__all__ = ["TableConstructors"]

T = TypeVar("T", bound="TableConstructors")
Transform = Mapping[str, Any] | None
# (source, videos root, resolver) of one stage.
_Source = tuple[Any, Any, Any]
_Load = Callable[..., layout.LabeledVideoList]
_LIST_FILE_EXTENSIONS = (".csv", ".txt", ".tsv")


def load_table_stages(
    sources: Mapping[str, _Source],
    target_fields: str | Sequence[str] | None,
    load: _Load,
    kind: str,
    target_format: layout.TargetFormat | None = None,
) -> dict[str, layout.LabeledVideoList]:
    """Each given stage's videos; the first labelled stage's target format is every stage's
    (unless ``target_format``, from a ``target_formatter``, is given)."""
    lists: dict[str, layout.LabeledVideoList] = {}
    for stage in STAGES:
        source, root, resolver = sources.get(stage, (None, None, None))
        if source is None:
            continue  # as in Flash, a root or resolver without its stage's data is unused
        fields = None if stage == "predict" else target_fields
        if stage != "predict" and target_fields is None:
            raise ValueError(
                f"target_fields is needed for the {stage} {kind}: name its target column(s), "
                f"e.g. from_{'csv' if kind == 'file' else kind}('video', 'label', ...)"
            )
        videos = load(
            source,
            fields,
            root=root,
            resolver=resolver,
            target_format=target_format,
            name=f"{stage}_{kind}",
        )
        target_format = target_format or videos.target_format
        lists[stage] = videos
    return lists


class TableConstructors(ListsConstructor):
    """The table constructors of ``VideoClassificationData`` (mixed in; see its docs)."""

    @classmethod
    def from_data_frame(
        cls: type[T],
        input_field: str,
        target_fields: str | Sequence[str] | None = None,
        train_data_frame: Any = None,
        train_videos_root: PathLike | None = None,
        train_resolver: layout.Resolver | None = None,
        val_data_frame: Any = None,
        val_videos_root: PathLike | None = None,
        val_resolver: layout.Resolver | None = None,
        test_data_frame: Any = None,
        test_videos_root: PathLike | None = None,
        test_resolver: layout.Resolver | None = None,
        predict_data_frame: Any = None,
        predict_videos_root: PathLike | None = None,
        predict_resolver: layout.Resolver | None = None,
        clip_sampler: Any = "random",
        clip_duration: float = 2,
        clip_sampler_kwargs: dict[str, Any] | None = None,
        video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
        decode_audio: bool = False,
        decoder: str = "pyav",
        input_cls: type = VideoClassificationDataFrameInput,
        predict_input_cls: type = VideoClassificationDataFramePredictInput,
        target_formatter: Any = None,
        transform: Any = VideoClassificationInputTransform,
        transform_kwargs: dict[str, Any] | None = None,
        *,
        extensions: Sequence[str] = layout.VIDEO_EXTENSIONS,
        train_transform: Transform = None,
        val_transform: Transform = None,
        test_transform: Transform = None,
        predict_transform: Transform = None,
        **kwargs: Any,
    ) -> T:
        """pandas DataFrames (or ``{column: values}`` dicts) of video ids and targets, per stage.

        Lightning Flash's ``from_data_frame``. A row's video is
        ``resolver(<stage>_videos_root, row[input_field])``; the default resolver gives
        ``root/id`` (or ``id`` with no root), trying the video extensions for ids that have none.
        Roots and ids may be URLs (``s3://bucket/videos``, ``https://host/videos``, any fsspec
        URL; ``storage_options=`` in ``**kwargs``): each remote video is checked with one stat
        (32 at a time); an id with no extension whose plain URL is missing costs one stat per
        extension tried.
        Targets may be in any of Flash's formats: a class name, a class index, comma- or
        space-separated names (multi-label), a list of names or indices (multi-label), or
        several ``target_fields`` columns of one-hot (single-label) / multi-hot (multi-label)
        values, whose names are then the classes. Multi-label batches carry ``label`` as a
        ``(B, num_classes)`` float32 multi-hot tensor and :attr:`multi_label` is ``True``::

            data = VideoClassificationData.from_data_frame(
                "video", ["cat", "dog", "eel"], train_data_frame=df, train_videos_root="clips")
            model = VideoClassifier(num_classes=data.num_classes, multi_label=data.multi_label)

        Args:
            input_field: The column of video ids (file names or paths).
            target_fields: The target column, or a list of one-hot / multi-hot columns.
                Needed for train / val / test. Default: ``None``.
            train_data_frame: Training rows. Default: none.
            train_videos_root: Folder (or URL) the training ids are resolved against.
                Default: ``None`` (ids are paths or URLs).
            train_resolver: ``resolver(root, id) -> path``. Default: ``root/id`` (see above).
            val_data_frame: Same for validation. Default: none.
            val_videos_root: Default: ``None``.
            val_resolver: Default: ``root/id``.
            test_data_frame: Same for test. Default: none.
            test_videos_root: Default: ``None``.
            test_resolver: Default: ``root/id``.
            predict_data_frame: Videos to predict (only ``input_field`` is read; label ``-1``).
                Default: none.
            predict_videos_root: Default: ``None``.
            predict_resolver: Default: ``root/id``.
            clip_sampler, clip_duration, clip_sampler_kwargs, video_sampler, decode_audio,
                decoder, input_cls, predict_input_cls, transform, transform_kwargs: as in
                :meth:`from_folders` (Flash's order).
            target_formatter: A Flash ``TargetFormatter`` fixing the format and classes.
                Default: inferred from the first labelled stage.
            extensions: Video file extensions accepted. Default: common video extensions.
            train_transform: Flash-style transform dict for training. Default: Flash's.
            val_transform: Same, validation. Default: Flash's defaults.
            test_transform: Same, test. Default: Flash's defaults.
            predict_transform: Same, prediction. Default: Flash's defaults.
            **kwargs: The constructor's options (``clip_sampler``, ``clip_duration``, ...,
                ``storage_options`` for URLs: used to resolve the videos and to read them).

        Raises:
            ValueError: A missing column (named with the table's columns), an empty cell,
                targets in mixed formats, a class the first stage does not have.
            FileNotFoundError: A video that does not exist (naming the resolved path or URL,
                credentials hidden, and the row).
        """
        options = flash_args(locals())
        sources = per_stage(
            (train_data_frame, train_videos_root, train_resolver),
            (val_data_frame, val_videos_root, val_resolver),
            (test_data_frame, test_videos_root, test_resolver),
            (predict_data_frame, predict_videos_root, predict_resolver),
        )

        storage_options = kwargs.get("storage_options")

        def load(frame: Any, fields: Any, **options: Any) -> layout.LabeledVideoList:
            return layout.from_data_frame(
                frame,
                input_field,
                fields,
                extensions=extensions,
                storage_options=storage_options,
                **options,
            )

        lists = load_table_stages(
            sources, target_fields, load, "data_frame", as_target_format(target_formatter)
        )
        transforms = per_stage(train_transform, val_transform, test_transform, predict_transform)
        return cls._from_lists(lists, transforms, **options, **kwargs)

    @classmethod
    def from_csv(
        cls: type[T],
        input_field: str | None = None,
        target_fields: str | Sequence[str] | None = None,
        train_file: PathLike | None = None,
        train_videos_root: PathLike | None = None,
        train_resolver: layout.Resolver | None = None,
        val_file: PathLike | None = None,
        val_videos_root: PathLike | None = None,
        val_resolver: layout.Resolver | None = None,
        test_file: PathLike | None = None,
        test_videos_root: PathLike | None = None,
        test_resolver: layout.Resolver | None = None,
        predict_file: PathLike | None = None,
        predict_videos_root: PathLike | None = None,
        predict_resolver: layout.Resolver | None = None,
        target_formatter: Any = None,
        clip_sampler: Any = "random",
        clip_duration: float = 2,
        clip_sampler_kwargs: dict[str, Any] | None = None,
        video_sampler: type[Sampler[int]] | Sampler[int] = RandomSampler,
        decode_audio: bool = False,
        decoder: str = "pyav",
        input_cls: type = VideoClassificationCSVInput,
        predict_input_cls: type = VideoClassificationCSVPredictInput,
        transform: Any = VideoClassificationInputTransform,
        transform_kwargs: dict[str, Any] | None = None,
        *,
        root: PathLike | None = None,
        extensions: Sequence[str] = layout.VIDEO_EXTENSIONS,
        train_transform: Transform = None,
        val_transform: Transform = None,
        test_transform: Transform = None,
        predict_transform: Transform = None,
        **kwargs: Any,
    ) -> T:
        """CSV files, per stage: Flash's columns, or PyTorchVideo's ``path label`` lines.

        With ``input_field`` (Lightning Flash's ``from_csv``): each file has a header row and is
        read as :meth:`from_data_frame` reads a data frame (``.csv`` / ``.txt``
        comma-separated, ``.tsv`` tab-separated); ids resolve against ``<stage>_videos_root``,
        by default the CSV file's folder. The standard library reads the files (pandas is not
        needed); numeric columns are typed as pandas types them, the ``input_field`` column is
        kept as text. Files and videos roots may be URLs (``s3://bucket/train.csv``,
        ``https://host/videos``, any fsspec URL) read with ``storage_options=`` (in
        ``**kwargs``); resolving remote ids costs what :meth:`from_data_frame` says.

        Without ``input_field``: ``<stage>_file`` lists ``path label`` lines (PyTorchVideo's
        format, see :func:`fastvid.data.layout.from_csv`), paths relative to
        ``<stage>_videos_root``, else ``root``, else the list's folder. This was fastvid's
        ``from_csv`` before Flash's columns; call it with keywords (``train_file=...``).

        Args:
            input_field: The column of video ids. Default: ``None`` (``path label`` lists).
            target_fields: The target column, or a list of one-hot / multi-hot columns.
                Needed for train / val / test files with ``input_field``. Default: ``None``.
            train_file: Training CSV (a path or URL). Default: none.
            train_videos_root: Folder (or URL) the training ids are resolved against.
                Default: the CSV file's folder.
            train_resolver: ``resolver(root, id) -> path``. Default: ``root/id`` (trying the
                video extensions for ids with none).
            val_file: Validation CSV. Default: none.
            val_videos_root: Default: the CSV file's folder.
            val_resolver: Default: ``root/id``.
            test_file: Test CSV. Default: none.
            test_videos_root: Default: the CSV file's folder.
            test_resolver: Default: ``root/id``.
            predict_file: CSV of videos to predict (label ``-1``). Default: none.
            predict_videos_root: Default: the CSV file's folder.
            predict_resolver: Default: ``root/id``.
            root: Videos root of every stage that has no ``<stage>_videos_root``.
                Default: ``None``.
            extensions: Video file extensions accepted. Default: common video extensions.
            train_transform: Flash-style transform dict for training. Default: Flash's.
            val_transform: Same, validation. Default: Flash's defaults.
            test_transform: Same, test. Default: Flash's defaults.
            predict_transform: Same, prediction. Default: Flash's defaults.
            **kwargs: The constructor's options (``clip_sampler``, ``clip_duration``, ...,
                ``storage_options`` for URLs: used to read the files, resolve the videos and
                read them).

        Raises:
            TypeError: A CSV file passed as the first argument (the old positional form).
            ValueError: A missing column (naming the column and the file), an unsupported
                extension, an empty cell, targets in mixed formats.
            FileNotFoundError: A missing CSV file or video (naming the resolved path or URL,
                credentials hidden, and the line).
        """
        options = flash_args(locals())
        _check_input_field(input_field, train_file)
        sources = per_stage(
            (train_file, train_videos_root or root, train_resolver),
            (val_file, val_videos_root or root, val_resolver),
            (test_file, test_videos_root or root, test_resolver),
            (predict_file, predict_videos_root or root, predict_resolver),
        )
        storage_options = kwargs.get("storage_options")
        if input_field is None:
            lists = _path_label_lists(sources, target_fields, extensions, storage_options)
        else:

            def load(file: Any, fields: Any, *, name: str, **options: Any) -> Any:
                return layout.from_csv_fields(
                    file,
                    input_field,
                    fields,
                    extensions=extensions,
                    storage_options=storage_options,
                    **options,
                )

            lists = load_table_stages(
                sources, target_fields, load, "file", as_target_format(target_formatter)
            )
        transforms = per_stage(train_transform, val_transform, test_transform, predict_transform)
        return cls._from_lists(lists, transforms, **options, **kwargs)


def _check_input_field(input_field: Any, train_file: Any) -> None:
    if input_field is None or (isinstance(input_field, str) and not _is_list_file(input_field)):
        return
    if isinstance(input_field, str | os.PathLike) and train_file is None:
        raise TypeError(
            f"from_csv's first argument is the input_field column (Lightning Flash's "
            f"signature), got the file name {os.fspath(input_field)!r}. For a list of "
            f"'path label' lines pass it as train_file=...; for a CSV with named columns, "
            f"from_csv('<video column>', '<target column>', train_file=...)"
        )
    if not isinstance(input_field, str):
        raise TypeError(f"input_field must be a column name (str), got {input_field!r}")


def _is_list_file(name: str) -> bool:
    return name.lower().endswith(_LIST_FILE_EXTENSIONS)


def _path_label_lists(
    sources: Mapping[str, _Source],
    target_fields: Any,
    extensions: Sequence[str],
    storage_options: Any = None,
) -> dict[str, layout.LabeledVideoList]:
    """PyTorchVideo ``path label`` lists (local or URLs, read with ``storage_options``); the
    first stage's classes are every later stage's."""
    given = [f"{stage}_resolver" for stage, (_, _, resolver) in sources.items() if resolver]
    if target_fields is not None or given:
        extra = ["target_fields"] * (target_fields is not None) + given
        raise ValueError(
            f"{', '.join(extra)} need input_field: with no input_field the files are "
            "'path label' lists, which have no columns"
        )
    lists: dict[str, layout.LabeledVideoList] = {}
    for stage, (file, root, _) in sources.items():
        if file is not None:
            classes = next((v.classes for v in lists.values()), None)
            lists[stage] = layout.from_csv(
                file,
                root=root,
                classes=classes,
                extensions=extensions,
                storage_options=storage_options,
            )
    return lists
