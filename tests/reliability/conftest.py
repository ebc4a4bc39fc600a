"""The bad-input battery: good, damaged and not-a-video files, generated once per session.

Each :class:`Case` is one input with the outcome the loader must produce for it:

* ``"clips"``: the file yields clips whose frames are right (the stamped index of every frame
  equals the planned frame position, or, where a crop hides the stamp, the clip equals
  PyTorchVideo's for the same transform);
* ``"index"``: the file is left out when the index is built, recorded in ``loader.skipped``
  (``epoch=None``) with a reason matching ``Case.reason``;
* ``"decode"``: the file is indexed but its clips fail when decoded: each is recorded in
  ``loader.skipped`` with the epoch, clip index and a reason matching ``Case.reason``;
* ``"concealed"``: damaged packets inside the file: the decoder conceals the damage, the clips
  are delivered and nothing is recorded (see docs/reliability.md); clips before the damage are
  exact.

Two batteries exist, one per CPU path: ``dali`` (VP9 and MJPEG, which DALI's CPU decoder reads)
and ``pyav`` (H.264 decoded by PyAV, plus a few VP9 files PyAV reads too). Their files differ
only where a file is changed on disk (deleted, replaced) after indexing. Videos are 96x72 unless
a case is about size.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
import pytest
import torchvision.transforms as tv
from PIL import Image

import fastvid  # noqa: F401  (installs the pytorchvideo.transforms shim first)
from fastvid.data.index import VideoIndex
from fastvid.testing import make_video, stamp_frame_index

SIZE = (96, 72)  # (width, height) of every "normal" battery video
CLIP_SECONDS = 1.0
FRAMES_PER_CLIP = 4
BATCH = 4

Outcome = Literal["clips", "index", "decode", "concealed"]
Check = Literal["stamps", "oracle"]


@dataclass(frozen=True)
class Case:
    """One battery input and the outcome the loader must give it.

    Attributes:
        name: Short id (also the file stem).
        path: The file (may be a folder, a dangling link or a deleted file: that is the case).
        outcome: See the module docstring.
        reason: Regular expression the skip reason must match (``"index"``/``"decode"``).
        kind: The :data:`fastvid.errors.VideoErrorKind` the skip must record
            (``"index"``/``"decode"``).
        check: How ``"clips"`` are checked: ``"stamps"`` (frame index stamps) or ``"oracle"``
            (PyTorchVideo's clip for the same file and transform; for sizes the crop changes).
        what: The input in words, for the docs table.
    """

    name: str
    path: Path
    outcome: Outcome
    reason: str = ""
    check: Check = "stamps"
    what: str = ""
    kind: str = ""


# -------------------------------------------------------------------------------------------
# File makers (each returns the path it wrote)


def encode_stamped(
    path: Path, *, codec: str, size: tuple[int, int], frames: int = 30, pix_fmt: str = "yuv420p"
) -> Path:
    """A 30 fps video of any size (``make_video`` needs even sizes >= 64x48).

    Frames wide enough for a stamp carry their index; smaller ones a moving gradient.
    """
    width, height = size
    rng = np.random.default_rng(width * 1000 + height)
    texture = rng.integers(40, 216, size=(height, width, 3), dtype=np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for i in range(frames):
            frame = np.roll(texture, i, axis=1).copy()
            if width >= 32 and height >= 24:
                stamp_frame_index(frame, i)
            packets = stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24"))
            container.mux(packets)
        container.mux(stream.encode())
    return path


def truncated(source: Path, path: Path, fraction: float) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def cut_inside_packet(source: Path, path: Path, packet_number: int) -> Path:
    """Cut the file in the middle of one video packet's payload (a frame cut in half)."""
    with av.open(str(source)) as container:
        packets = [p for p in container.demux(video=0) if p.size and p.pos is not None]
        packet = packets[packet_number]
        cut = int(packet.pos) + packet.size // 2
    path.write_bytes(source.read_bytes()[:cut])
    return path


def damaged_packet(source: Path, path: Path, packet_number: int, count: int = 200) -> Path:
    """Flip ``count`` bytes inside one video packet's payload (the container stays intact)."""
    with av.open(str(source)) as container:
        packets = [p for p in container.demux(video=0) if p.size and p.pos is not None]
        packet = packets[packet_number]
        start = int(packet.pos) + packet.size // 4
        stop = min(start + count, int(packet.pos) + packet.size)
    data = bytearray(source.read_bytes())
    for i in range(start, stop):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def audio_only(path: Path, scratch: Path) -> Path:
    """A file with an audio stream and no video stream (the audio of a generated video)."""
    source = make_video(scratch / f"with_audio{path.suffix}", codec="vp9", size=(64, 48),
                        duration=1.0, audio=True)  # fmt: skip
    with av.open(str(source)) as src, av.open(str(path), "w") as dst:
        audio = src.streams.audio[0]
        out = dst.add_stream_from_template(audio)
        for packet in src.demux(audio):
            if packet.dts is None:
                continue
            packet.stream = out
            dst.mux(packet)
    return path


def image_file(path: Path, image_format: str) -> Path:
    pixels = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, format=image_format)
    return path


# -------------------------------------------------------------------------------------------
# The batteries


def _common_cases(root: Path, scratch: Path) -> list[Case]:
    """Inputs that are not videos at all: the same outcome on every path."""
    (root / "folder.mp4").mkdir()
    os.symlink(root / "no_such_target.mp4", root / "dangling.mp4")
    (root / "zero.mp4").write_bytes(b"")
    (root / "random.webm").write_bytes(
        np.random.default_rng(1).integers(0, 256, 20_000, dtype=np.uint8).tobytes()
    )
    (root / "text.mp4").write_text("this is not a video\n" * 50)
    not_video = "cannot open it as a video container"
    return [
        Case("zero", root / "zero.mp4", "index", "file is empty", what="zero-byte file",
             kind="empty"),
        Case("random", root / "random.webm", "index", not_video,
             what="20 KB of random bytes named .webm", kind="not_a_video"),
        Case("text", root / "text.mp4", "index", not_video, what="a text file named .mp4",
             kind="not_a_video"),
        Case("png", image_file(root / "png.mp4", "PNG"), "index", r"still image \(png\)",
             what="a PNG image named .mp4", kind="still_image"),
        Case("jpeg", image_file(root / "jpeg.mp4", "JPEG"), "index", r"still image \(jpeg\)",
             what="a JPEG image named .mp4", kind="still_image"),
        Case("audio_only", audio_only(root / "audio_only.webm", scratch), "index",
             r"no video stream \(streams: \['audio'\]\)", what="audio-only file (Opus in WebM)",
             kind="no_video_stream"),
        Case("folder", root / "folder.mp4", "index", "not a regular file",
             what="a folder named x.mp4", kind="not_a_file"),
        Case("dangling", root / "dangling.mp4", "index", "does not exist",
             what="a dangling symlink", kind="missing"),
        Case("denied", make_video(root / "denied.webm", codec="vp9", size=SIZE, duration=1.0),
             "index", "permission denied",
             what="a file that cannot be opened (EACCES, simulated: tests run as root)",
             kind="permission"),
    ]  # fmt: skip


def _dali_cases(root: Path, scratch: Path) -> list[Case]:
    def video(name: str, codec: str = "vp9", ext: str = ".webm", **kw: Any) -> Path:
        kw.setdefault("duration", 1.5)
        return make_video(root / f"{name}{ext}", codec=codec, size=SIZE, **kw)  # type: ignore[arg-type]

    full = make_video(scratch / "full.webm", codec="vp9", size=SIZE, duration=2.0, seed=7)
    mjpeg = make_video(scratch / "full.avi", codec="mjpeg", size=SIZE, duration=2.0, seed=8)
    long = make_video(scratch / "long.webm", codec="vp9", size=SIZE, duration=3.0, seed=9)
    cases = [
        Case("good_vp9", video("good_vp9", seed=1), "clips", what="VP9 in WebM"),
        Case("good_mjpeg", video("good_mjpeg", "mjpeg", ".avi", seed=2), "clips",
             what="MJPEG in AVI"),
        Case("vfr", video("vfr", vfr=True, duration=2.0, seed=3), "clips",
             what="variable frame rate"),
        Case("rotated", video("rotated", ext=".mp4", rotation=90, seed=4), "clips",
             what="rotation 90 in the MP4 display matrix"),
        Case("short", video("short", duration=0.5, seed=5), "clips",
             what="0.5 s video, 1 s clips"),
        Case("odd_size", encode_stamped(root / "odd_size.webm", codec="libvpx-vp9",
             size=(321, 239)), "clips", check="oracle", what="odd frame size 321x239"),
        Case("tiny", encode_stamped(root / "tiny.webm", codec="libvpx-vp9", size=(16, 16)),
             "clips", check="oracle", what="16x16 frames (the crop pads them)"),
        Case("trunc10", truncated(full, root / "trunc10.webm", 0.1), "clips",
             what="WebM cut at 10% of its bytes"),
        Case("trunc50", truncated(full, root / "trunc50.webm", 0.5), "clips",
             what="WebM cut at 50%"),
        Case("trunc90", truncated(full, root / "trunc90.webm", 0.9), "clips",
             what="WebM cut at 90%"),
        Case("cut_frame", cut_inside_packet(mjpeg, root / "cut_frame.avi", 29), "clips",
             what="AVI cut in the middle of frame 29"),
        Case("corrupt", damaged_packet(long, root / "corrupt.webm", 45), "concealed",
             what="200 bytes flipped inside frame 45 of 90"),
        Case("deleted", video("deleted", seed=10), "decode", "deleted or moved after",
             what="deleted after indexing", kind="missing"),
        Case("replaced", video("replaced", seed=11), "decode", "changed since it was indexed",
             what="replaced by a shorter video after indexing", kind="changed"),
        Case("wrong_codec", video("wrong_codec", "h264", ".mp4", seed=13), "clips",
             what="H.264, which DALI's CPU decoder cannot read: routed to PyAV"),
    ]  # fmt: skip
    return cases + _common_cases(root, scratch)


def _pyav_cases(root: Path, scratch: Path) -> list[Case]:
    def video(name: str, codec: str = "h264", ext: str = ".mp4", **kw: Any) -> Path:
        kw.setdefault("duration", 1.5)
        return make_video(root / f"{name}{ext}", codec=codec, size=SIZE, **kw)  # type: ignore[arg-type]

    full = make_video(scratch / "full.mp4", codec="h264", size=SIZE, duration=2.0, seed=7)
    vp9 = make_video(scratch / "full.webm", codec="vp9", size=SIZE, duration=2.0, seed=7)
    mjpeg = make_video(scratch / "full.avi", codec="mjpeg", size=SIZE, duration=2.0, seed=8)
    long = make_video(scratch / "long.mp4", codec="h264", size=SIZE, duration=3.0, seed=9)
    no_moov = "cannot open it as a video container"
    cases = [
        Case("good_h264", video("good_h264", seed=1), "clips", what="H.264 in MP4"),
        Case("vfr", video("vfr", vfr=True, duration=2.0, seed=3), "clips",
             what="variable frame rate"),
        Case("rotated", video("rotated", rotation=90, seed=4), "clips",
             what="rotation 90 in the MP4 display matrix"),
        Case("short", video("short", duration=0.5, seed=5), "clips",
             what="0.5 s video, 1 s clips"),
        Case("odd_size", encode_stamped(root / "odd_size.mp4", codec="libx264", size=(321, 239),
             pix_fmt="yuv444p"), "clips", check="oracle", what="odd frame size 321x239"),
        Case("tiny", encode_stamped(root / "tiny.mp4", codec="libx264", size=(16, 16)),
             "clips", check="oracle", what="16x16 frames (the crop pads them)"),
        Case("trunc10", truncated(full, root / "trunc10.mp4", 0.1), "index", no_moov,
             kind="not_a_video",
             what="MP4 cut at 10% (index `moov` at the end: lost)"),
        Case("trunc50", truncated(full, root / "trunc50.mp4", 0.5), "index", no_moov,
             kind="not_a_video",
             what="MP4 cut at 50%"),
        Case("trunc90", truncated(full, root / "trunc90.mp4", 0.9), "index", no_moov,
             kind="not_a_video",
             what="MP4 cut at 90%"),
        Case("trunc50_webm", truncated(vp9, root / "trunc50_webm.webm", 0.5), "clips",
             what="WebM cut at 50%"),
        Case("cut_frame", cut_inside_packet(mjpeg, root / "cut_frame.avi", 29), "clips",
             what="AVI cut in the middle of frame 29"),
        Case("corrupt", damaged_packet(long, root / "corrupt.mp4", 45), "concealed",
             what="200 bytes flipped inside frame 45 of 90"),
        Case("deleted", video("deleted", seed=10), "decode", "deleted or moved after",
             what="deleted after indexing", kind="missing"),
        Case("replaced", video("replaced", seed=11), "decode", "changed since it was indexed",
             what="replaced by a shorter video after indexing", kind="changed"),
    ]  # fmt: skip
    return cases + _common_cases(root, scratch)


@dataclass
class Battery:
    """A battery's cases (in loader order, good and bad interleaved) and its prebuilt index."""

    kind: Literal["dali", "pyav"]
    cases: dict[str, Case]
    index: VideoIndex

    def pairs(self, names: list[str] | None = None) -> list[tuple[str, int]]:
        chosen = names if names is not None else list(self.cases)
        return [(str(self.cases[n].path), i) for i, n in enumerate(chosen)]

    def names(self, outcome: Outcome) -> list[str]:
        return [n for n, c in self.cases.items() if c.outcome == outcome]


def _interleave(cases: list[Case]) -> dict[str, Case]:
    """Bad and good inputs alternate, so batches mix them."""
    good = [c for c in cases if c.outcome in ("clips", "concealed")]
    bad = [c for c in cases if c.outcome not in ("clips", "concealed")]
    order: list[Case] = []
    while good or bad:
        order += [good.pop(0)] if good else []
        order += [bad.pop(0)] if bad else []
    return {c.name: c for c in order}


def _denied_open(denied: str, real_open: Callable[..., Any]) -> Callable[..., Any]:
    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file) == denied:
            raise PermissionError(13, "Permission denied", denied)
        return real_open(file, *args, **kwargs)

    return fake_open


def build_battery(root: Path, kind: Literal["dali", "pyav"]) -> Battery:
    """Write the battery, index it, then change files on disk as the cases say."""
    scratch = root / "_sources"
    scratch.mkdir(parents=True)
    makers = {"dali": _dali_cases, "pyav": _pyav_cases}
    cases = _interleave(makers[kind](root, scratch))
    paths = [str(c.path) for c in cases.values()]
    # Tests run as root, so chmod 000 does not stop reads: FFmpeg's open is made to fail.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(av, "open", _denied_open(str(cases["denied"].path), av.open))
        index = VideoIndex.build(paths, cache=False, num_workers=0, progress=False)
    os.remove(cases["deleted"].path)
    replaced = cases["replaced"].path
    shorter = make_video(scratch / f"shorter{replaced.suffix}", codec="vp9" if kind == "dali"
                         else "h264", size=SIZE, duration=0.5, seed=12)  # fmt: skip
    shutil.copyfile(shorter, replaced)
    return Battery(kind, cases, index)


@pytest.fixture(scope="session")
def dali_battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    """The battery for ``cpu_decoder="dali"``."""
    return build_battery(tmp_path_factory.mktemp("battery_dali"), "dali")


@pytest.fixture(scope="session")
def pyav_battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    """The battery for ``cpu_decoder="pyav"``."""
    return build_battery(tmp_path_factory.mktemp("battery_pyav"), "pyav")


def battery_transform() -> Any:
    """4 frames per clip and a 96x72 centre crop: a no-op on 96x72 videos (their stamps stay
    readable), a crop of larger frames and a zero-padding of smaller ones, so mixed sizes batch.
    """
    from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample

    return ApplyTransformToKey(
        "video",
        tv.Compose([UniformTemporalSubsample(FRAMES_PER_CLIP), tv.CenterCrop((SIZE[1], SIZE[0]))]),
    )


def loader_options(**overrides: Any) -> dict[str, Any]:
    """Options shared by the reliability loaders: CPU, small, sequential, quiet."""
    from torch.utils.data import SequentialSampler

    from fastvid.data.samplers import make_clip_sampler

    options: dict[str, Any] = {
        "clip_sampler": make_clip_sampler("uniform", CLIP_SECONDS),
        "transform": battery_transform(),
        "batch_size": BATCH,
        "video_sampler": SequentialSampler,
        "device": "cpu",
        "num_workers": 1,
        "num_threads": 1,
        "progress": False,
    }
    options.update(overrides)
    return options


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The fuzz tests' valid source files (``tests/reliability/fuzz.py``), by name."""
    from tests.reliability.fuzz import Sources, make_sources

    return Sources(make_sources(tmp_path_factory.mktemp("fuzz_sources")))
