"""Where the videos are and what their labels are: folders, CSV/text lists, in-memory pairs,
tables (data frames and CSV files with named columns, Lightning Flash's format).

Every loader returns a :class:`LabeledVideoList`, an immutable list of (absolute path, integer
label) with the class names the labels index into; multi-label videos (from tables) also carry a
target vector with one value per class. Nothing here opens a video: probing is the job of
:mod:`fastvid.data.index`.

One job per module: ``_types`` (the lists), ``_checks`` (argument checks), ``_folder``
(class-per-folder trees), ``_lists`` (CSV/text files and in-memory pairs), ``_frame`` (tables:
data frames, CSV files with a header), ``_resolve`` (a row's id → its video, local or remote,
checked), ``_targets`` (Flash's target formats).
"""

from __future__ import annotations

from fastvid.data.layout._folder import from_folder
from fastvid.data.layout._frame import (
    Resolver,
    default_resolver,
    from_csv_fields,
    from_data_frame,
    read_table,
)
from fastvid.data.layout._lists import from_csv, from_pairs
from fastvid.data.layout._targets import TargetFormat, infer_target_format
from fastvid.data.layout._types import VIDEO_EXTENSIONS, LabeledVideo, LabeledVideoList

__all__ = [
    "VIDEO_EXTENSIONS",
    "LabeledVideo",
    "LabeledVideoList",
    "Resolver",
    "TargetFormat",
    "default_resolver",
    "from_csv",
    "from_csv_fields",
    "from_data_frame",
    "from_folder",
    "from_pairs",
    "infer_target_format",
    "read_table",
]
