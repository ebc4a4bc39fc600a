"""The check's videos: frame-index-stamped fixtures, built in parallel on every core.

Three groups:

* ``compare``: short clips (2 s) at 256x256 to 384x288 (above every NVDEC minimum), one or two
  per codec NVDEC decodes and PyAV can encode (H.264, HEVC, VP9, VP8, MPEG-4, and AV1 when this
  PyAV has libsvtav1), constant and variable frame rate, in MP4, MKV, WebM and AVI, plus one
  MJPEG file that must be routed to PyAV. Mixed frame sizes, so batches mix shapes and routes.
* ``long_gop``: 10 s H.264 with one keyframe every 250 frames (1080p in the full profile), so
  clips after 8.3 s start past the first GOP: their GOP-range cut is not the file's prefix.
* ``damaged``: copies of three ``compare`` files whose packets from frame 40 on are overwritten
  with random bytes (same size, indexed after the damage): their first clip is intact, their
  second cannot be decoded. A batch holding such a clip must still deliver its other clips
  (DALI fails the whole batch; the loader retries its clips one by one) and the bad clip must
  be skipped with a reason, never replaced by wrong frames.
* ``t1080`` / ``t720``: the throughput sets (10 s H.264: 1080p keyint 250, 720p keyint 60),
  built only when the GPU half runs. ``long_gop``'s files are the first of ``t1080``.

Content is the textured, noisy pan of :func:`fastvid.testing.make_video` (flat frames decode
several times faster and would flatter every decoder).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from multiprocessing import get_context
from pathlib import Path
from typing import Literal, cast

import numpy as np

__all__ = ["FixtureSpec", "av1_encoder", "build_fixtures", "fixture_specs"]

Group = Literal["compare", "long_gop", "damaged", "t1080", "t720"]
Expect = Literal["nvdec", "pyav", "either"]
Profile = Literal["full", "quick"]

AV1_ENCODER = "libsvtav1"
DAMAGED_SOURCES = ("h264_cfr_mp4", "hevc_cfr_mp4", "mpeg4_cfr_avi")  # MP4/AVI: payloads only
DAMAGE_FROM = 40  # frame 29 (the end of the first 1 s clip) references nothing this late
THROUGHPUT_VIDEOS = 16  # per throughput set: one per worker of a 16-core machine


@dataclass(frozen=True)
class FixtureSpec:
    """How to make one fixture video, and which decoder the GPU loader must route it to.

    Attributes:
        name: File stem (unique).
        codec: ``make_video`` codec, or ``"av1"`` (written here with libsvtav1).
        ext: Container extension.
        size: ``(width, height)``.
        duration: Seconds.
        group: ``"compare"``, ``"long_gop"``, ``"t1080"`` or ``"t720"``.
        expect: Decoder the GPU loader must pick (``"either"``: report only).
        vfr: Variable frame rate.
        gop: Keyframe interval in frames (``None``: the encoder's default).
        seed: Content seed.
        note: Why the file is there.
        source: For a damaged copy: the fixture it copies.
        damage_from: For a damaged copy: the first frame whose packets are overwritten.
    """

    name: str
    codec: str
    ext: str
    size: tuple[int, int]
    duration: float
    group: Group
    expect: Expect = "nvdec"
    vfr: bool = False
    gop: int | None = None
    seed: int = 0
    note: str = ""
    source: str | None = None
    damage_from: int | None = None

    @property
    def filename(self) -> str:
        return f"{self.name}{self.ext}"

    @property
    def cost(self) -> float:
        """Rough encoding cost (pixels x frames), to start the slow files first."""
        return self.size[0] * self.size[1] * self.duration


def av1_encoder() -> str | None:
    """The AV1 encoder this PyAV has (``None``: the AV1 fixture is left out, and said so)."""
    import av

    try:
        av.codec.Codec(AV1_ENCODER, "w")
    except Exception:
        return None
    return AV1_ENCODER


_COMPARE: tuple[tuple[str, str, str, tuple[int, int], bool, Expect, str], ...] = (
    # name, codec, ext, size, vfr, expect, note
    ("h264_cfr_mp4", "h264", ".mp4", (256, 256), False, "nvdec", "B-frames (x264 default)"),
    ("h264_vfr_mkv", "h264", ".mkv", (320, 240), True, "nvdec", "VFR in Matroska"),
    ("hevc_cfr_mp4", "hevc", ".mp4", (384, 288), False, "nvdec", "HEVC min size 144x144"),
    ("hevc_vfr_mp4", "hevc", ".mp4", (256, 256), True, "nvdec", ""),
    ("vp9_cfr_webm", "vp9", ".webm", (320, 240), False, "nvdec", "VP9 min size 128x128"),
    ("vp9_vfr_mkv", "vp9", ".mkv", (256, 256), True, "nvdec", ""),
    ("vp8_cfr_webm", "vp8", ".webm", (256, 256), False, "nvdec", ""),
    ("vp8_vfr_webm", "vp8", ".webm", (384, 288), True, "nvdec", ""),
    ("mpeg4_cfr_avi", "mpeg4", ".avi", (320, 240), False, "nvdec", "AVI container"),
    ("mpeg4_vfr_mp4", "mpeg4", ".mp4", (256, 256), True, "nvdec", ""),
    (
        "mjpeg_cfr_avi",
        "mjpeg",
        ".avi",
        (320, 240),
        False,
        "pyav",
        "DALI's mixed decoder has no MJPEG",
    ),
    ("av1_cfr_mkv", "av1", ".mkv", (256, 256), False, "either", "NVDEC AV1 varies by GPU"),
)


def fixture_specs(profile: Profile, *, throughput: bool) -> list[FixtureSpec]:
    """The fixtures of a profile.

    Args:
        profile: ``"full"`` (the GPU run: 1080p long-GOP files) or ``"quick"`` (tests on a
            small CPU machine: the long-GOP file at 640x360).
        throughput: Also the two throughput sets (``"full"`` only).
    """
    specs = [
        FixtureSpec(name, codec, ext, size, 2.0, "compare", expect, vfr=vfr, seed=i, note=note)
        for i, (name, codec, ext, size, vfr, expect, note) in enumerate(_COMPARE)
        if codec != "av1" or av1_encoder() is not None
    ]
    by_name = {s.name: s for s in specs}
    for source in DAMAGED_SOURCES:
        original = by_name[source]
        specs.append(
            FixtureSpec(
                f"damaged_{source}",
                original.codec,
                original.ext,
                original.size,
                original.duration,
                "damaged",
                seed=original.seed,
                note=f"{source} with random bytes in every packet from frame {DAMAGE_FROM}",
                source=source,
                damage_from=DAMAGE_FROM,
            )
        )
    big = (1920, 1080) if profile == "full" else (640, 360)
    long_gop = 2 if profile == "full" else 1
    count = THROUGHPUT_VIDEOS if throughput and profile == "full" else long_gop
    for i in range(count):
        specs.append(
            FixtureSpec(
                f"h264_{big[1]}p_gop250_{i:02d}",
                "h264",
                ".mp4",
                big,
                10.0,
                "long_gop" if i < long_gop else "t1080",
                gop=250,
                seed=100 + i,
                note="keyint 250: clips after 8.3 s start past the first GOP",
            )
        )
    if throughput and profile == "full":
        for i in range(THROUGHPUT_VIDEOS):
            specs.append(
                FixtureSpec(
                    f"h264_720p_gop60_{i:02d}",
                    "h264",
                    ".mp4",
                    (1280, 720),
                    10.0,
                    "t720",
                    gop=60,
                    seed=200 + i,
                )
            )
    return specs


def build_fixtures(
    specs: Sequence[FixtureSpec], folder: Path, *, workers: int | None = None
) -> dict[str, Path]:
    """Write every fixture into ``folder`` (existing files are kept), in parallel.

    Returns:
        Path per fixture name.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("partial-*"):  # left by an interrupted run
        stale.unlink(missing_ok=True)
    copies = [
        (s, s.source, s.damage_from)
        for s in specs
        if s.source is not None and s.damage_from is not None
    ]
    todo = [
        s
        for s in sorted(specs, key=lambda s: -s.cost)
        if s.source is None and not (folder / s.filename).exists()
    ]
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    if todo:
        if workers == 1:
            for spec in todo:
                _build_one(spec, str(folder))
        else:
            # spawn: the caller may already hold CUDA or DALI threads, which fork would copy;
            # a Pool (not an executor) so that an interrupt terminates the encoders at once
            with get_context("spawn").Pool(workers) as pool:
                pool.starmap(_build_one, [(spec, str(folder)) for spec in todo], chunksize=1)
    names = {s.name: s for s in specs}
    for spec, source, first_bad in copies:
        target = folder / spec.filename
        if not target.exists():
            damage(folder / names[source].filename, target, first_bad)
    return {s.name: folder / s.filename for s in specs}


def damage(source: Path, target: Path, first_frame: int, *, seed: int = 0) -> Path:
    """Copy ``source`` to ``target`` with every packet shown from ``first_frame`` on overwritten
    by random bytes (the container's structure is kept: MP4/AVI packet payloads only)."""
    import av

    data = bytearray(source.read_bytes())
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        packets = [
            (int(p.pts), int(p.pos), int(p.size))
            for p in container.demux(stream)
            if p.size and p.pts is not None and p.pos is not None and p.pos >= 0
        ]
    shown = sorted(pts for pts, _, _ in packets)
    if first_frame >= len(shown):
        raise ValueError(f"{source} has {len(shown)} frames, fewer than {first_frame + 1}")
    rng = np.random.default_rng(seed)
    for pts, pos, size in packets:
        if pts >= shown[first_frame]:
            data[pos : pos + size] = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    partial = target.with_name(f"partial-{os.getpid()}-{target.name}")
    partial.write_bytes(bytes(data))
    os.replace(partial, target)
    return target


def describe(spec: FixtureSpec, path: Path, meta: object | None) -> dict[str, object]:
    """One row of the report's fixture table."""
    row: dict[str, object] = asdict(spec)
    row.update(
        container=spec.ext.lstrip("."),
        width=spec.size[0],
        height=spec.size[1],
        bytes=path.stat().st_size if path.exists() else 0,
    )
    if meta is not None:
        row["frames"] = int(getattr(meta, "num_frames", 0))
        row["keyframes"] = len(getattr(meta, "keyframes", ()))
        row["pix_fmt"] = str(getattr(meta, "pix_fmt", ""))
    return row


def _build_one(spec: FixtureSpec, folder: str) -> str:
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core per file; the pool is parallel
    os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1: errors only
    final = Path(folder) / spec.filename
    # written under a temporary name, renamed when complete: an interrupted run (a time
    # limit) leaves no truncated file for the next run to reuse
    path = final.with_name(f"partial-{os.getpid()}-{spec.filename}")
    if spec.codec == "av1":
        _write_av1(path, spec)
    else:
        from fastvid.testing import make_video

        make_video(
            path,
            codec=spec.codec,  # type: ignore[arg-type]
            size=spec.size,
            duration=spec.duration,
            vfr=spec.vfr,
            gop=spec.gop,
            seed=spec.seed,
        )
    os.replace(path, final)
    return str(final)


def _write_av1(path: Path, spec: FixtureSpec) -> None:
    """A stamped AV1 file (``make_video`` has no AV1): the same textured content, libsvtav1."""
    import av

    from fastvid.testing import stamp_frame_index
    from fastvid.testing._content import CONTENT

    width, height = spec.size
    fps = Fraction(30)
    count = max(1, round(spec.duration * fps))
    render = CONTENT["textured"](
        np.random.default_rng([spec.seed, 0]), width, height, count, (0, 0)
    )
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="matroska", options={"fflags": "+bitexact"}) as container:
        stream = cast(
            av.VideoStream, container.add_stream(AV1_ENCODER, rate=fps, options={"preset": "10"})
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = max(300_000, math.ceil(0.08 * width * height * float(fps)))
        stream.codec_context.time_base = 1 / fps
        for i in range(count):
            pixels = render(i)
            stamp_frame_index(pixels, i)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = i, 1 / fps
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    path.write_bytes(buffer.getvalue())
