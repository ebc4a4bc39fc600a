"""fastvid's one error hierarchy: classes, kinds, pickling, and kinds from outside exceptions."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import av
import pytest

from fastvid.data.index import VideoProbeError
from fastvid.errors import (
    VIDEO_ERROR_KINDS,
    FastvidError,
    VideoError,
    VideoErrorKind,
    check_kind,
    exception_kind,
)
from fastvid.reader import VideoDecodeError, WorkerDiedError, WorkerTaskError
from fastvid.reader.decoding.gop import GopCutError
from fastvid.reader.decoding.pyav_source import FrameDecodeError

VIDEO_ERRORS = [VideoError, VideoProbeError, VideoDecodeError, FrameDecodeError, GopCutError]


def test_the_kinds_are_the_literal_s_values() -> None:
    assert get_args(VideoErrorKind) == VIDEO_ERROR_KINDS
    assert len(set(VIDEO_ERROR_KINDS)) == len(VIDEO_ERROR_KINDS)
    assert check_kind("truncated") == "truncated"
    with pytest.raises(ValueError, match=r"kind \('eof'\) must be one of missing, empty, "):
        check_kind("eof")


@pytest.mark.parametrize("cls", VIDEO_ERRORS)
def test_every_video_error_carries_path_reason_kind_and_pickles_with_them(
    cls: type[VideoError],
) -> None:
    error = cls("/data/a.mp4", "frames [3] of 9 were never decoded", "truncated")
    assert isinstance(error, VideoError) and isinstance(error, FastvidError)
    assert isinstance(error, RuntimeError)  # what `except RuntimeError` caught before
    assert (error.path, error.reason, error.kind) == (
        "/data/a.mp4",
        "frames [3] of 9 were never decoded",
        "truncated",
    )
    assert "/data/a.mp4" in str(error) and "never decoded" in str(error)
    back = pickle.loads(pickle.dumps(error))  # how errors leave worker processes
    assert type(back) is cls
    assert (back.path, back.reason, back.kind, str(back)) == (
        error.path,
        error.reason,
        error.kind,
        str(error),
    )
    with pytest.raises(ValueError, match="must be one of"):
        cls("/data/a.mp4", "?", "eof")


def test_the_classes_keep_their_old_bases_and_defaults() -> None:
    assert issubclass(GopCutError, ValueError)  # GopCutter.cut documented a ValueError
    assert GopCutError("/a.mp4", "frames moved").kind == "changed"
    assert FrameDecodeError("/a.mp4", "FFmpeg failed").kind == "decode_error"
    assert VideoProbeError("/a.mp4", "?").kind == VideoDecodeError("/a.mp4", "?").kind == "other"
    for cls in (WorkerDiedError, WorkerTaskError):
        assert issubclass(cls, FastvidError) and issubclass(cls, RuntimeError)
        assert not issubclass(cls, VideoError)  # a dead worker or a bug is not a bad video


def test_messages_name_the_file_the_reason_and_what_to_do() -> None:
    decode = str(VideoDecodeError("/d/a.mp4", "the file is empty (0 bytes)", "empty"))
    assert decode.startswith("cannot decode video /d/a.mp4: the file is empty (0 bytes). ")
    assert "re-encode the file, or pass on_error='skip'" in decode
    assert "rebuild the video index" in str(FrameDecodeError("/d/a.mp4", "x"))
    assert "Build the index again" in str(GopCutError("/d/a.mp4", "x"))
    assert str(VideoProbeError("/d/a.mp4", "broken")) == "cannot read video /d/a.mp4: broken"


def test_worker_errors_pickle() -> None:
    died = pickle.loads(pickle.dumps(WorkerDiedError([(42, -9)], epoch=3)))
    assert (died.pids, died.exit_codes, died.epoch) == ([42], [-9], 3)
    assert "pid 42 killed by SIGKILL" in str(died) and "for epoch 3" in str(died)
    task = pickle.loads(pickle.dumps(WorkerTaskError("/d/a.mp4", "Traceback: boom")))
    assert (task.path, task.worker_traceback) == ("/d/a.mp4", "Traceback: boom")


def _raised(action: Callable[[], object]) -> BaseException:
    try:
        action()
    except Exception as error:
        return error
    raise AssertionError("nothing was raised")


def test_exception_kinds_come_from_the_exception_type(tmp_path: Path) -> None:
    text = tmp_path / "text.mp4"
    text.write_text("this is not a video\n" * 50)
    ffmpeg_missing = _raised(lambda: av.open(str(tmp_path / "missing.mp4")))
    ffmpeg_invalid = _raised(lambda: av.open(str(text)))
    assert isinstance(ffmpeg_missing, av.FFmpegError)  # PyAV's, not the built-in
    assert exception_kind(ffmpeg_missing) == "missing"
    assert exception_kind(ffmpeg_invalid) == "corrupt"
    # while decoding (no file name), FFmpeg's errno codes describe the data, not the file:
    # h264 answers damaged packets with EPERM ("Operation not permitted")
    decoding_eperm = av.error.PermissionError(1, "Operation not permitted")
    assert exception_kind(decoding_eperm) == "decode_error"
    assert exception_kind(av.error.EOFError(541478725, "End of file")) == "truncated"
    assert exception_kind(IsADirectoryError(21, "Is a directory")) == "not_a_file"
    assert exception_kind(PermissionError(13, "Permission denied")) == "permission"
    assert exception_kind(EOFError()) == "truncated"
    assert exception_kind(OSError(5, "Input/output error")) == "unreadable"
    assert exception_kind(RuntimeError("?")) == "decode_error"
    assert exception_kind(RuntimeError("?"), "other") == "other"
    assert exception_kind(GopCutError("/a.mp4", "moved")) == "changed"  # its own kind
