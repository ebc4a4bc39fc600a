"""Where the videos are and what their labels are: folders, CSV/text lists, in-memory pairs.

Every loader returns a :class:`LabeledVideoList`, an immutable list of (absolute path, integer
label) with the class names the labels index into. Nothing here opens a video: probing is the job
of :mod:`fastvid.data.index`.

One job per module: ``_types`` (the lists), ``_checks`` (argument checks), ``_folder``
(class-per-folder trees), ``_lists`` (CSV/text files and in-memory pairs).
"""

from __future__ import annotations

from fastvid.data.layout._folder import from_folder
from fastvid.data.layout._lists import from_csv, from_pairs
from fastvid.data.layout._types import VIDEO_EXTENSIONS, LabeledVideo, LabeledVideoList

__all__ = [
    "VIDEO_EXTENSIONS",
    "LabeledVideo",
    "LabeledVideoList",
    "from_csv",
    "from_folder",
    "from_pairs",
]
