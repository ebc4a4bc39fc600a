"""``LabeledVideoList``: the container every layout returns."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastvid.data.layout import (
    VIDEO_EXTENSIONS,
    LabeledVideo,
    LabeledVideoList,
    from_folder,
)


def test_labeled_video_list_container_protocol(tree: Path) -> None:
    videos = from_folder(tree)
    assert len(videos) == 7
    assert videos[0] == next(iter(videos))
    assert videos[-1].label == 1
    head = videos[:2]
    assert isinstance(head, LabeledVideoList) and len(head) == 2 and head.classes == videos.classes
    assert videos.paths == [v.path for v in videos]
    with pytest.raises(AttributeError, match="cannot assign to field 'classes'"):
        videos.classes = ()  # type: ignore[misc]


def test_labeled_video_list_rejects_out_of_range_labels() -> None:
    with pytest.raises(ValueError, match=r"label 3 of /x\.mp4 is out of range.*\[0, 1\]"):
        LabeledVideoList((LabeledVideo("/x.mp4", 3),), ("a", "b"))


def test_default_extensions_are_lowercase_with_dots() -> None:
    assert all(ext.startswith(".") and ext == ext.lower() for ext in VIDEO_EXTENSIONS)
    assert {".mp4", ".avi", ".webm", ".mkv"} <= set(VIDEO_EXTENSIONS)
