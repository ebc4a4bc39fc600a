"""Per-file decoder routing, with fake capability tables and fake NVDEC probes (no GPU here)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from fastvid.reader.decoding.routing import (
    DALI_CPU,
    NVDEC,
    DecoderCaps,
    canonical_codec,
    route_videos,
)


def video(codec: str, width: int = 640, height: int = 360, pix_fmt: str = "yuv420p") -> Any:
    return SimpleNamespace(codec=codec, width=width, height=height, pix_fmt=pix_fmt)


FAKE_GPU = DecoderCaps(
    name="nvdec",
    codecs=frozenset({"h264", "vp9"}),
    pix_fmts=frozenset({"yuv420p"}),
    min_size={"h264": (64, 64), "vp9": (128, 128)},
    max_size={"h264": (1920, 1080)},
)


def test_each_file_goes_where_the_table_allows_with_the_reason() -> None:
    videos = {
        "a.mp4": video("h264"),
        "b.webm": video("vp9"),
        "c.avi": video("mjpeg", pix_fmt="yuvj420p"),
        "d.mp4": video("h264", pix_fmt="yuv420p10le"),
        "e.mp4": video("h264", width=48, height=48),
        "f.mp4": video("h264", width=3840, height=2160),
        "g.mkv": video("hevc"),
    }
    routing = route_videos(videos, preferred="nvdec", caps=FAKE_GPU)
    assert routing.decoders == {
        "a.mp4": "nvdec",
        "b.webm": "nvdec",
        "c.avi": "pyav",
        "d.mp4": "pyav",
        "e.mp4": "pyav",
        "f.mp4": "pyav",
        "g.mkv": "pyav",
    }
    assert routing.reasons["c.avi"].startswith("nvdec does not decode mjpeg")
    assert "not yuv420p10le" in routing.reasons["d.mp4"]
    assert "48x48 is below nvdec's minimum for h264 (64x64)" in routing.reasons["e.mp4"]
    assert "3840x2160 is above nvdec's maximum for h264 (1920x1080)" in routing.reasons["f.mp4"]
    assert routing.summary().startswith("fastvid: decoding 2 to nvdec, 5 to pyav (")


def test_a_class_the_decoder_fails_on_goes_to_pyav_and_is_probed_once() -> None:
    probed: list[tuple[str, str]] = []

    def probe(path: str, pix_fmt: str) -> str | None:
        probed.append((path, pix_fmt))
        return "Codec configuration not supported on this GPU" if "vp9" in path else None

    videos = {f"{i}.{ext}": video(codec) for i, (codec, ext) in enumerate(
        [("h264", "mp4"), ("vp9", "vp9.webm"), ("h264", "mp4"), ("vp9", "vp9.webm")]
    )}  # fmt: skip
    routing = route_videos(videos, preferred="nvdec", caps=FAKE_GPU, probe=probe)
    assert [routing.decoders[p] for p in videos] == ["nvdec", "pyav", "nvdec", "pyav"]
    assert probed == [("0.mp4", "yuv420p"), ("1.vp9.webm", "yuv420p")]  # once per class
    assert "not supported on this GPU" in routing.reasons["3.vp9.webm"]


def test_pyav_takes_everything_and_dali_cpu_only_its_codecs() -> None:
    videos = {"a.mp4": video("h264"), "b.webm": video("vp9"), "c.avi": video("mjpeg")}
    assert set(route_videos(videos, preferred="pyav").decoders.values()) == {"pyav"}
    routing = route_videos(videos, preferred="dali_cpu")
    assert routing.decoders == {"a.mp4": "pyav", "b.webm": "dali_cpu", "c.avi": "dali_cpu"}


def test_the_tables_follow_dali_2_4() -> None:
    assert "mjpeg" not in NVDEC.codecs  # commented out in DALI 2.4's mixed decoder
    assert NVDEC.refuses(video("hevc", 128, 128)) is not None  # NVDEC's HEVC minimum is 144
    assert NVDEC.refuses(video("h264", pix_fmt="yuvj420p")) is None
    assert DALI_CPU.codecs == {"vp8", "vp9", "mjpeg"}
    assert canonical_codec("libdav1d") == "av1"


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ClipLoader believe it runs on a GPU whose NVDEC works (without touching CUDA)."""
    import torch

    import fastvid.reader.decoding.nvdec as nvdec
    import fastvid.reader.loader.clip_loader as loader_module

    monkeypatch.setattr(loader_module, "resolve_device", lambda device: "gpu")
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(nvdec, "nvdec_works", lambda device_id=0: None)
    monkeypatch.setattr(nvdec, "_probe_class", lambda path, meta, device_id: None)


def _loader(videos: Any, names: list[str], device: str) -> Any:
    from fastvid.data.samplers import make_clip_sampler
    from fastvid.reader import ClipLoader

    return ClipLoader(
        [(str(videos.path(n)), 0) for n in names],
        clip_sampler=make_clip_sampler("uniform", 1.0),
        device=device,
        progress=False,
        cache_dir=None,
        index=None,
    )


@pytest.mark.usefixtures("fake_gpu")
def test_gpu_loader_routes_per_file(videos: Any) -> None:
    loader = _loader(videos, ["h264", "mjpeg", "vp9"], "auto")
    by_name = {p.rsplit("/", 1)[1]: d for p, d in loader.routing.decoders.items()}
    # the fixtures are 96x72: fine for H.264 on NVDEC, below its 128x128 VP9 minimum
    assert by_name == {"h264.mp4": "nvdec", "mjpeg.avi": "pyav", "vp9.webm": "pyav"}
    assert loader.source_kind == "mixed"


@pytest.mark.usefixtures("fake_gpu")
def test_device_gpu_with_nothing_nvdec_can_decode_is_a_clear_error(videos: Any) -> None:
    loader = _loader(videos, ["mjpeg"], "gpu")
    message = r"device='gpu' but no video can be decoded on this GPU.*mjpeg"
    with pytest.raises(RuntimeError, match=message):
        loader.setup()


def test_nvdec_that_does_not_work_sends_everything_to_pyav(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fastvid.reader.decoding.nvdec as nvdec

    monkeypatch.setattr(nvdec, "nvdec_works", lambda device_id=0: "libnvcuvid.so not found")
    routing = nvdec.nvdec_routing({"a.mp4": video("h264")}, device_id=0)
    assert routing.decoders == {"a.mp4": "pyav"}
    assert routing.reasons["a.mp4"] == "libnvcuvid.so not found"
