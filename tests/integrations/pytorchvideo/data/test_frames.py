"""``FrameVideo`` and frame-folder datasets: what PyTorchVideo's ``FrameVideo`` and
``labeled_video_dataset`` give for the same folders of images (oracle), decoded by DALI."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader, SequentialSampler

from fastvid.data import FrameVideo, labeled_video_dataset, make_clip_sampler
from fastvid.integrations.pytorchvideo.data import PyTorchVideoAssertionError, VideoPathsDataset

ptv_frame_video = pytest.importorskip("pytorchvideo.data.frame_video")
pytest.importorskip("cv2")  # PyTorchVideo's FrameVideo decodes with OpenCV


def _write_frames(folder: Path, count: int, ext: str, seed: int) -> np.ndarray:
    """Frames named 0.ext .. (count-1).ext (natural order differs from sorted past 9)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, size=(count, 24, 32, 3), dtype=np.uint8)
    frames[:, :, :16] //= 4  # some smooth area, so JPEG is not all noise
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{i}.{ext}", quality=90)
    return frames


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("frames")
    _write_frames(root / "png_video", 12, "png", 0)
    _write_frames(root / "jpg_video", 7, "jpg", 1)
    return {"png": root / "png_video", "jpg": root / "jpg_video"}


@pytest.mark.parametrize("kind", ["png", "jpg"])
def test_get_clip_equals_pytorchvideo(folders: dict[str, Path], kind: str) -> None:
    ours = FrameVideo.from_directory(folders[kind], fps=10, device="cpu")
    theirs = ptv_frame_video.FrameVideo.from_directory(str(folders[kind]), fps=10)
    assert ours.duration == theirs.duration
    assert ours.name == theirs.name
    for start, end in [(0, 0.5), (0.15, 0.95), (Fraction(1, 5), Fraction(3, 5)), (0, 5.0)]:
        got, want = ours.get_clip(start, end), theirs.get_clip(start, end)
        assert got["frame_indices"] == want["frame_indices"]
        assert got["video"].dtype == torch.float32
        assert torch.equal(got["video"], want["video"]), (kind, start, end)

    def every_third(indices: list[int]) -> list[int]:
        return indices[::3]

    got = ours.get_clip(0, 1.0, frame_filter=every_third)
    want = theirs.get_clip(0, 1.0, frame_filter=every_third)
    assert got["frame_indices"] == want["frame_indices"]
    assert torch.equal(got["video"], want["video"])
    assert ours.get_clip(ours.duration + 1, ours.duration + 2) is None


def test_frame_paths_and_errors(folders: dict[str, Path], tmp_path: Path) -> None:
    paths = sorted(folders["png"].iterdir(), key=lambda p: int(p.stem))[:3]
    video = FrameVideo.from_frame_paths(paths, fps=30, device="cpu")
    assert video.duration == pytest.approx(0.1)
    assert video.get_clip(0, 0.1)["frame_indices"] == [0, 1, 2]
    with pytest.raises(ValueError, match="empty"):
        FrameVideo.from_frame_paths([])
    with pytest.raises(AssertionError):  # PyTorchVideo's exception type still matches
        FrameVideo.from_frame_paths([])
    with pytest.raises(PyTorchVideoAssertionError, match="exactly one"):
        FrameVideo(1.0, 30)
    missing = FrameVideo.from_frame_paths([tmp_path / "gone.png"], device="cpu")
    with pytest.raises(FileNotFoundError, match=r"gone\.png"):
        missing.get_clip(0, 0.01)
    with pytest.raises(NotADirectoryError, match="nowhere"):
        FrameVideo.from_directory(tmp_path / "nowhere")


@pytest.mark.parametrize("num_workers", [0, 2])
def test_frame_folder_list_dataset(
    folders: dict[str, Path], tmp_path: Path, num_workers: int
) -> None:
    from pytorchvideo.data import labeled_video_dataset as ptv_labeled_video_dataset

    listing = tmp_path / "frames.txt"
    listing.write_text(f"{folders['png']} 0\n{folders['jpg']} 1\n{folders['png']} 2\n")

    def samples(make: object, decoder: str) -> list[tuple[int, int, torch.Tensor]]:
        dataset = make(  # type: ignore[operator]
            str(listing),
            clip_sampler=make_clip_sampler("uniform", 0.3),
            video_sampler=SequentialSampler,
            decode_audio=False,
            decoder=decoder,
        )
        loader = DataLoader(dataset, batch_size=None, num_workers=num_workers)
        return sorted(
            ((int(s["label"]), int(s["clip_index"]), s["video"]) for s in loader),
            key=lambda item: item[:2],
        )

    ours = samples(labeled_video_dataset, "frame")
    theirs = samples(ptv_labeled_video_dataset, "pyav")
    assert len(ours) == len(theirs) >= 3
    for (label, index, clip), (want_label, want_index, want_clip) in zip(ours, theirs, strict=True):
        assert (label, index) == (want_label, want_index)
        assert torch.equal(clip, want_clip)


def test_folders_in_a_list_are_frame_videos_whatever_the_decoder(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    listing = tmp_path / "frames.txt"
    listing.write_text(f"{folders['jpg']} 3\n")
    dataset = labeled_video_dataset(
        str(listing), make_clip_sampler("uniform", 1.0), decode_audio=False
    )
    assert isinstance(dataset, VideoPathsDataset)
    sample = next(iter(dataset))
    assert sample["label"] == 3 and sample["video_name"] == "jpg_video"
    assert sample["video"].shape == (3, 7, 24, 32)


def test_lists_of_video_files_stay_with_the_loader(tmp_path: Path) -> None:
    from fastvid.data import LabeledVideoDataset

    (tmp_path / "clip.mp4").write_bytes(b"")
    listing = tmp_path / "named.csv"
    listing.write_text(f"{tmp_path / 'clip.mp4'} cat\n")  # class-name labels: fastvid's format
    dataset = labeled_video_dataset(str(listing), make_clip_sampler("uniform", 1.0))
    assert isinstance(dataset, LabeledVideoDataset)
