"""A PyTorchVideo training script moves to fastvid by changing two import lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import fastvid  # noqa: F401  (installs the pytorchvideo shim)
from fastvid.data.samplers import make_clip_sampler
from fastvid.integrations.pytorchvideo.api import (
    DataLoader,
    LabeledVideoDataset,
    labeled_video_dataset,
)
from fastvid.testing import make_dataset, read_frame_index

SCRIPT = """
from pytorchvideo.data import labeled_video_dataset, make_clip_sampler
from torch.utils.data import DataLoader
from torch.utils.data import SequentialSampler
from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample

dataset = labeled_video_dataset(
    DATA,
    clip_sampler=make_clip_sampler("uniform", 1.0),
    video_sampler=SequentialSampler,
    transform=ApplyTransformToKey("video", UniformTemporalSubsample(4)),
    decode_audio=False,
)
loader = DataLoader(dataset, batch_size=2, num_workers=0)
batches = list(loader)
"""

SWAPPED = SCRIPT.replace(
    "from pytorchvideo.data import labeled_video_dataset, make_clip_sampler",
    "from fastvid.data import labeled_video_dataset, make_clip_sampler",
).replace("from torch.utils.data import DataLoader\n", "from fastvid.data import DataLoader\n")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ptv")
    return make_dataset(
        root / "ds",
        classes=("a", "b"),
        per_class=2,
        splits=None,
        codec="mjpeg",
        size=(96, 72),
        duration=2.2,
        fps=15,
    )


def _run(script: str, data: Path) -> list[dict[str, object]]:
    namespace: dict[str, object] = {"DATA": str(data)}
    exec(compile(script, "script", "exec"), namespace)
    return namespace["batches"]  # type: ignore[return-value]


def _clips(batches: list[dict[str, object]]) -> list[tuple[str, int, int, list[int]]]:
    clips = []
    for batch in batches:
        video = batch["video"]
        assert isinstance(video, torch.Tensor)
        for i in range(video.shape[0]):
            frames = [read_frame_index(video[i, :, t], layout="CHW") for t in range(video.shape[2])]
            clips.append(
                (
                    batch["video_name"][i],  # type: ignore[index]
                    int(batch["clip_index"][i]),  # type: ignore[index]
                    int(batch["label"][i]),  # type: ignore[index]
                    frames,
                )
            )
    return clips


def test_swapped_imports_yield_the_same_clips_and_keys(data: Path) -> None:
    assert SWAPPED != SCRIPT and "fastvid" in SWAPPED
    reference = _run(SCRIPT, data)
    ours = _run(SWAPPED, data)
    assert _clips(ours) == _clips(reference)
    assert set(ours[0]) == set(reference[0])
    for key in reference[0]:
        ref, got = reference[0][key], ours[0][key]
        assert type(got) is type(ref), key
        if isinstance(ref, torch.Tensor):
            assert got.dtype == ref.dtype and got.shape == ref.shape, key
    diff = (ours[0]["video"] - reference[0]["video"]).abs().mean()  # type: ignore[operator]
    assert float(diff) < 3.0


def test_dataloader_passes_other_datasets_to_torch() -> None:
    loader = DataLoader(torch.utils.data.TensorDataset(torch.arange(4)), batch_size=2)
    assert isinstance(loader, torch.utils.data.DataLoader)
    assert len(list(loader)) == 2


def test_shuffle_is_rejected_like_torch(data: Path) -> None:
    from fastvid.data import make_clip_sampler

    dataset = labeled_video_dataset(
        str(data), make_clip_sampler("uniform", 1.0), decode_audio=False
    )
    assert isinstance(dataset, LabeledVideoDataset)
    assert dataset.num_videos == 4
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(dataset, batch_size=2, shuffle=True)


def test_missing_data_path_is_named(tmp_path: Path) -> None:
    from fastvid.data import make_clip_sampler

    with pytest.raises(FileNotFoundError, match="nowhere"):
        labeled_video_dataset(
            str(tmp_path / "nowhere"), make_clip_sampler("uniform", 1.0), decode_audio=False
        )


def test_decoder_is_the_cpu_decoder_and_other_libraries_decode_with_pyav(data: Path) -> None:
    dataset = labeled_video_dataset(
        str(data), make_clip_sampler("uniform", 1.0), decode_audio=False, decoder="dali"
    )
    loader = dataset.make_loader(batch_size=2, device="cpu")
    assert loader.routing.preferred == "dali_cpu"  # MJPEG: DALI's CPU decoder takes it
    for library in ("decord", "torchvision"):
        with pytest.warns(UserWarning, match=rf"decoder='{library}' is decoded with PyAV") as seen:
            other = labeled_video_dataset(
                str(data), make_clip_sampler("uniform", 1.0), decode_audio=False, decoder=library
            )
        assert len(seen) == 1 and seen[0].filename == __file__  # one warning, at the caller
        assert other.loader_kwargs["cpu_decoder"] == "pyav"
    with pytest.raises(ValueError, match=r"decoder \('opencv'\) must be one of"):
        labeled_video_dataset(
            str(data), make_clip_sampler("uniform", 1.0), decode_audio=False, decoder="opencv"
        )


def test_dataloader_saves_and_checks_the_loader_state(data: Path) -> None:
    """The drop-in ``DataLoader`` is resumable like ``ClipLoader`` (tests/reader/test_resume)."""
    dataset = labeled_video_dataset(
        str(data), make_clip_sampler("random", 1.0), decode_audio=False, seed=2
    )
    loader = DataLoader(dataset, batch_size=2)
    state = loader.state_dict()
    assert (state["epoch"], state["batch"]) == (0, 0) and state["fingerprint"]["seed"] == 2
    loader.load_state_dict(dict(state, epoch=3))
    assert loader.state_dict()["epoch"] == 3
    with pytest.raises(ValueError, match="batch_size: saved 2, this loader 1"):
        DataLoader(dataset, batch_size=1).load_state_dict(state)
