"""Fuzzing: mutated MP4 (H.264, ``moov`` at the end and at the front) and WebM (VP9) files
through the index and the loader.

Every mutant must end in one of two ways: good clips, or a named skip (the file and a reason).
Never a crash (a worker that dies, an exception that is not the named one), never a hang (each
probe is timed against a bound; the loader run has a task timeout and the test a global one),
never a wrong clip delivered silently: each delivered clip is compared, frame by frame, with
the same frames of a plain sequential PyAV decode of the mutated file (matched by timestamp),
so a cut, seek or index that picks the wrong frames fails the test.

Mutations (``mutate.py``) are mostly structure-aware: MP4 box sizes and types, sample-table
entries (``stco``, ``stsz``, ``stss``, ``stts``, ...), EBML element sizes and IDs, SimpleBlock
timecodes and keyframe flags, whole boxes/elements duplicated or deleted; plus bit flips, byte
runs, truncation and chunk duplication/deletion. Seeds are fixed, so a run is reproducible.

One loader reads all mutants of a run (``cpu_decoder="dali"``: VP9 goes through DALI's CPU
decoder, H.264 through PyAV). The default suite runs a reduced set; ``pytest -m slow
tests/reliability/test_fuzz.py -s`` runs >= 1,000 mutants and prints the tally.
"""

from __future__ import annotations

import gc
import os
import random
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import pytest
import torch
import torchvision.transforms as tv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastvid.data.index import VideoIndex, VideoMeta, VideoProbeError, probe_video
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.gop import GopCutError, GopCutter
from fastvid.reader.loader import ClipLoader
from fastvid.reader.pyav_source import FrameDecodeError, decode_frames
from fastvid.reader.report import reason_kind
from fastvid.testing import make_video, read_frame_index
from tests.reliability.conftest import FRAMES_PER_CLIP, SIZE, damaged_packet, loader_options
from tests.reliability.mutate import ebml_elements, mp4_boxes, mutate

PROBE_SECONDS = 5.0  # per-file bound on one probe (they take ~2-10 ms; generous for loaded CI)
TASK_SECONDS = 60.0  # the loader's task_timeout: a hung worker task fails its clips
CLIP_SECONDS = 0.5
# Largest mean |difference| (0..255) of one delivered frame from the same frame decoded by
# PyAV: DALI's CPU decoder converts YUV to RGB with its own rounding (tests/reader/test_loader.py)
FRAME_TOLERANCE = {"dali_cpu": 3.0, "pyav": 0.5}


# -------------------------------------------------------------------------------- sources


def _faststart(source: Path, path: Path) -> Path:
    """``source`` remuxed with ``moov`` before ``mdat`` (``-movflags faststart``)."""
    with (
        av.open(str(source)) as src,
        av.open(str(path), "w", options={"movflags": "faststart"}) as dst,
    ):
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            dst.mux(packet)
    return path


def make_sources(folder: Path) -> dict[str, bytes]:
    """The valid files every mutant starts from: small, 1.5 s, a keyframe every 10 frames."""
    folder.mkdir(parents=True, exist_ok=True)
    h264 = make_video(folder / "h264.mp4", codec="h264", size=SIZE, duration=1.5, gop=10, seed=21)
    faststart = _faststart(h264, folder / "h264_faststart.mp4")
    vp9 = make_video(folder / "vp9.webm", codec="vp9", size=SIZE, duration=1.5, gop=10, seed=22)
    data = {p.stem: p.read_bytes() for p in (h264, faststart, vp9)}
    assert data["h264"].find(b"moov") > data["h264"].find(b"mdat")  # moov at the end
    assert data["h264_faststart"].find(b"moov") < data["h264_faststart"].find(b"mdat")
    return data


class Sources(dict[str, bytes]):
    """The source files' bytes by name (a short repr: Hypothesis prints its arguments)."""

    def __repr__(self) -> str:
        return f"Sources({', '.join(self)})"


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    return Sources(make_sources(tmp_path_factory.mktemp("fuzz_sources")))


@dataclass(frozen=True)
class Mutant:
    path: str
    source: str
    mutation: str


def write_mutants(folder: Path, sources: dict[str, bytes], count: int, seed: int) -> list[Mutant]:
    """``count`` mutants, the sources in turn; mutant ``i`` depends only on ``(seed, i)``."""
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted(sources)
    mutants = []
    for i in range(count):
        source = names[i % len(names)]
        data, mutation = mutate(sources[source], random.Random(f"{seed}-{i}"))
        path = folder / f"{i:05d}_{source}{'.webm' if source == 'vp9' else '.mp4'}"
        path.write_bytes(data)
        mutants.append(Mutant(str(path), source, mutation))
    return mutants


# -------------------------------------------------------------------------------- checks


def probe_checked(path: str, what: str) -> tuple[VideoMeta | str, float]:
    """``probe_video``'s meta or its named reason, and the seconds it took.

    Any other exception, or a probe slower than ``PROBE_SECONDS``, fails with the file and its
    mutation.
    """
    began = time.perf_counter()
    try:
        result: VideoMeta | str = probe_video(path)
    except VideoProbeError as err:
        assert err.path == os.path.abspath(path) and err.reason, (path, what)
        result = err.reason
    except Exception as err:  # the bug this test is for
        raise AssertionError(f"probe_video({path}) [{what}] raised {err!r}") from err
    seconds = time.perf_counter() - began
    assert seconds < PROBE_SECONDS, f"probing {path} [{what}] took {seconds:.1f} s"
    if isinstance(result, VideoMeta):
        assert result.num_frames == len(result.pts) > 0, (path, what)
        assert np.all(np.diff(result.pts) >= 0), (path, what)
        assert np.all((result.keyframes >= 0) & (result.keyframes < result.num_frames))
    return result, seconds


@dataclass(frozen=True)
class Reference:
    """A plain sequential decode of a whole file.

    Attributes:
        frames: pts -> RGB frame (a pts decoded twice maps to nothing).
        concealed: pts of the frames in a GOP (output order, keyframe to keyframe) in which
            FFmpeg flagged a frame corrupt or rejected a packet: concealed damage, whose pixels
            depend on the decoding path (threads, frames skipped, where decoding started).
        shown_before_damage: those of ``concealed`` output before the GOP's first damage: a
            B-frame decoded after a damaged frame but shown before it, which FFmpeg's flag
            cannot reveal in time (the damaged frame comes out later).
    """

    frames: dict[int, np.ndarray]
    concealed: frozenset[int]
    shown_before_damage: frozenset[int]


def reference_frames(path: str) -> Reference:
    """Decode ``path`` as ``ffmpeg`` does (PyAV, one thread; a packet the decoder rejects is
    passed over)."""
    frames: dict[int, np.ndarray] = {}
    repeated: set[int] = set()
    gop_of: dict[int, tuple[int, int]] = {}  # pts -> (GOP, output number)
    gop, output = 0, 0
    damaged: dict[int, int] = {}  # GOP -> output number of its first damage
    with av.open(path, metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except (av.FFmpegError, OSError):
                packet = None  # a read error: drain the decoder, as at the end
            try:
                decoded = stream.decode(packet)
            except (av.FFmpegError, ValueError):
                decoded = []
                damaged.setdefault(gop, output)
            for frame in decoded:
                output += 1
                if frame.key_frame and not frame.is_corrupt:
                    gop += 1
                if frame.is_corrupt:
                    damaged.setdefault(gop, output)
                if frame.pts is not None:
                    if frame.pts in frames:
                        repeated.add(frame.pts)
                    frames[frame.pts] = frame.to_ndarray(format="rgb24")
                    gop_of[frame.pts] = (gop, output)
            if packet is None:
                break
    usable = {pts: frame for pts, frame in frames.items() if pts not in repeated}
    concealed = {p: (g, n) for p, (g, n) in gop_of.items() if g in damaged}
    before = frozenset(p for p, (g, n) in concealed.items() if n < damaged[g])
    return Reference(usable, frozenset(concealed), before)


@dataclass
class Tally:
    """What a fuzz run did."""

    mutants: int = 0
    indexed: int = 0
    probe_seconds: list[float] = field(default_factory=list)
    clips_planned: int = 0
    clips_good: int = 0
    clips_concealed: int = 0  # good clips with concealed damage that differ from a plain decode
    index_skips: Counter[str] = field(default_factory=Counter)  # by reason kind
    clip_skips: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self) -> str:
        probe = np.asarray(self.probe_seconds)
        return (
            f"{self.mutants} mutants in {self.seconds:.1f} s: {self.indexed} indexed "
            f"(routes {dict(self.routes)}), {sum(self.index_skips.values())} left out of the "
            f"index {dict(self.index_skips)}; {self.clips_planned} clips planned, "
            f"{self.clips_good} good ({self.clips_concealed} of them with concealed damage that "
            f"differs from a plain decode), {sum(self.clip_skips.values())} skipped "
            f"{dict(self.clip_skips)}; probe median {np.median(probe) * 1e3:.1f} ms, "
            f"max {probe.max() * 1e3:.1f} ms"
        )


def check_clip(video: torch.Tensor, meta: VideoMeta, frames: np.ndarray, route: str,
               reference: Reference, what: str) -> bool:  # fmt: skip
    """A delivered clip has the loader's shape and the frames a plain decode gives there.

    Two known limits are let through and counted (docs/reliability.md, Limits): DALI's decoder
    conceals damage without a signal, so on its route a frame may differ inside a GOP with
    concealed damage; on the PyAV route only a frame shown before its GOP's first damage may.

    Returns:
        Whether a frame differed within those limits.
    """
    assert video.shape == (3, FRAMES_PER_CLIP, SIZE[1], SIZE[0]), (meta.path, what)
    assert torch.isfinite(video).all(), (meta.path, what)
    crop = tv.CenterCrop((SIZE[1], SIZE[0]))
    concealed = False
    for t, position in enumerate(frames.tolist()):
        pts = int(meta.pts[position])
        expected = reference.frames.get(pts)
        assert expected is not None, (
            f"{meta.path} [{what}]: frame {position} (pts {pts}) was delivered, but a plain "
            f"decode of the file gives no frame with that pts"
        )
        expected_chw = crop(torch.from_numpy(expected).permute(2, 0, 1).float())
        difference = float((video[:, t] - expected_chw).abs().mean())
        allowed = reference.concealed if route == "dali_cpu" else reference.shown_before_damage
        if difference >= FRAME_TOLERANCE[route] and pts in allowed:
            concealed = True
            continue
        assert difference < FRAME_TOLERANCE[route], (
            f"{meta.path} [{what}] ({route}): frame {position} (pts {pts}) differs from a plain "
            f"decode's by {difference:.1f} on average: a wrong frame delivered silently"
        )
    return concealed


def run_fuzz(folder: Path, sources: dict[str, bytes], count: int, seed: int) -> Tally:
    """Mutate, probe, index and load ``count`` files; assert every outcome; return the tally."""
    began = time.perf_counter()
    mutants = write_mutants(folder / "mutants", sources, count, seed)
    by_path = {os.path.abspath(m.path): m for m in mutants}
    tally = Tally(mutants=count)
    metas, errors = [], {}
    for mutant in mutants:
        result, seconds = probe_checked(mutant.path, mutant.mutation)
        tally.probe_seconds.append(seconds)
        if isinstance(result, VideoMeta):
            metas.append(result)
        else:
            errors[os.path.abspath(mutant.path)] = result
    tally.indexed = len(metas)
    index = VideoIndex.from_metas(metas, errors=errors)
    loader = ClipLoader(
        [(m.path, i) for i, m in enumerate(mutants)],
        index=index,
        **loader_options(
            clip_sampler=make_clip_sampler("uniform", CLIP_SECONDS),
            cpu_decoder="dali",
            on_error="skip",
            batch_size=8,
            task_timeout=TASK_SECONDS,
        ),
    )
    delivered: dict[tuple[str, int], torch.Tensor] = {}
    try:
        planned = {(os.path.abspath(c.path), c.clip_index): c for c in loader.plan(0)}
        for batch in loader:
            for i, name in enumerate(batch["video_name"]):
                key = (os.path.abspath(str(folder / "mutants" / name)), int(batch["clip_index"][i]))
                assert key not in delivered, f"clip {key} delivered twice"
                delivered[key] = batch["video"][i]
        routing = dict(loader.routing.decoders)
        skipped = list(loader.skipped)
    finally:
        loader.close()
        gc.collect()

    # Left out of the index: exactly the files the probe refused, each once, with its reason.
    index_skips = {os.path.abspath(s.path): s.reason for s in skipped if s.epoch is None}
    assert index_skips == errors
    # Every planned clip is delivered or skipped with a reason, never both, never neither.
    clip_skips = {(os.path.abspath(s.path), s.clip_index): s for s in skipped if s.epoch == 0}
    assert len(clip_skips) == len([s for s in skipped if s.epoch == 0]), "a clip skipped twice"
    assert not set(clip_skips) & set(delivered), "a clip both delivered and skipped"
    assert set(clip_skips) | set(delivered) == set(planned)
    for entry in skipped:
        assert "task_timeout" not in entry.reason, f"a hang: {entry.path}: {entry.reason}"
        kind = reason_kind(entry.reason)
        assert entry.path in by_path or os.path.abspath(entry.path) in by_path
        assert kind != "other" and "unexpected" not in entry.reason, (
            f"{entry.path} [{by_path[os.path.abspath(entry.path)].mutation}]: skipped for a "
            f"reason that names no known problem: {entry.reason}"
        )
        (tally.index_skips if entry.epoch is None else tally.clip_skips)[kind] += 1
    # Every delivered clip holds the frames a plain decode of the mutated file has there.
    references: dict[str, Reference] = {}
    for (path, clip_index), video in sorted(delivered.items()):
        meta = index.meta(path)
        if path not in references:
            references = {path: reference_frames(path)}  # one file at a time: little memory
        request = planned[(path, clip_index)]
        if check_clip(video, meta, request.frame_indices, routing[path], references[path],
                      by_path[path].mutation):  # fmt: skip
            tally.clips_concealed += 1
    tally.routes = Counter(routing[m.path] for m in metas)
    tally.clips_planned, tally.clips_good = len(planned), len(delivered)
    tally.seconds = time.perf_counter() - began
    return tally


# -------------------------------------------------------------------------------- tests


@pytest.mark.timeout(240)
def test_fuzz_mutants_are_good_clips_or_named_skips(
    sources: dict[str, bytes], tmp_path: Path
) -> None:
    tally = run_fuzz(tmp_path, sources, count=150, seed=0)
    print(tally.summary())
    # the mutations reach every outcome: some files index and decode, some are refused
    assert tally.indexed > 0 and tally.index_skips and tally.clips_good > 0


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_long_fuzz(
    sources: dict[str, bytes], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the long fuzz runs with -m slow")
    tally = run_fuzz(tmp_path, sources, count=1200, seed=1)
    print(tally.summary())
    assert tally.indexed > 0 and tally.index_skips and tally.clips_good > 0


@pytest.mark.timeout(120)
@settings(max_examples=200, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(source=st.sampled_from(["h264", "h264_faststart", "vp9"]), rng=st.randoms())
def test_probe_of_a_mutant_returns_meta_or_the_named_error(
    sources: dict[str, bytes], tmp_path: Path, source: str, rng: random.Random
) -> None:
    # Hypothesis drives the same mutations; a failure shrinks to a small one
    data, mutation = mutate(sources[source], rng)
    path = tmp_path / f"mutant{'.webm' if source == 'vp9' else '.mp4'}"
    path.write_bytes(data)
    probe_checked(str(path), mutation)


# -------------------------------------------------------------------------------- regressions
# Files the fuzzer found bugs with, rebuilt deterministically from the small sources.


@pytest.mark.timeout(60)
def test_mp4_without_a_sample_description_is_a_named_probe_error(
    sources: Sources, tmp_path: Path
) -> None:
    # was: AttributeError (PyAV gives the stream no codec context), "unexpected" in the index
    data = sources["h264"]
    stsd = next(box for box in mp4_boxes(data) if box.kind == "stsd")
    path = tmp_path / "no_stsd.mp4"
    path.write_bytes(data[: stsd.start] + data[stsd.end :])
    with pytest.raises(VideoProbeError, match="no decoder for its video stream") as info:
        probe_video(path)
    assert info.value.path == str(path)


def _repeated_timestamps(sources: Sources, path: Path) -> Path:
    """The H.264 source with its first ``ctts`` entry's sample count set to 0: the composition
    offsets slide by one sample and two frames get the same pts."""
    data = bytearray(sources["h264"])
    ctts = next(box for box in mp4_boxes(bytes(data)) if box.kind == "ctts")
    first_count = ctts.payload + 8  # version/flags, entry count, then (count, offset) pairs
    data[first_count : first_count + 4] = (0).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    return path


@pytest.mark.timeout(120)
def test_frames_that_share_a_timestamp_are_refused_by_the_index(
    sources: Sources, tmp_path: Path
) -> None:
    # was: indexed, then the PyAV worker raised ValueError ("pts must be strictly increasing"),
    # which stopped the epoch with WorkerTaskError instead of skipping the file
    bad = _repeated_timestamps(sources, tmp_path / "repeated_pts.mp4")
    with av.open(str(bad)) as container:
        shown = [p.pts for p in container.demux(video=0) if p.pts is not None]
    assert len(set(shown)) < len(shown), "the crafted file should repeat a pts"
    with pytest.raises(VideoProbeError, match="repeat another frame's timestamp"):
        probe_video(bad)
    good = tmp_path / "good.mp4"
    good.write_bytes(sources["h264"])
    loader = ClipLoader(
        [(str(good), 0), (str(bad), 1)],
        cache_dir=tmp_path / "cache",
        **loader_options(
            clip_sampler=make_clip_sampler("uniform", CLIP_SECONDS), cpu_decoder="pyav"
        ),
    )
    try:
        names = [name for batch in loader for name in batch["video_name"]]
    finally:
        loader.close()
    assert set(names) == {"good.mp4"} and len(names) == len(loader.plan(0))
    assert [(s.path, s.epoch, reason_kind(s.reason)) for s in loader.skipped] == [
        (str(bad), None, "timestamps")
    ]


@pytest.mark.timeout(60)
def test_pyav_refuses_frames_predicted_from_a_damaged_keyframe(
    sources: Sources, tmp_path: Path
) -> None:
    # was: frames after a keyframe FFmpeg concealed errors in came back unflagged, and after a
    # seek (no earlier frame to conceal from) they differed from a sequential decode's by ~60/255
    source = tmp_path / "source.mp4"
    source.write_bytes(sources["h264"])
    meta = probe_video(source)
    assert meta.keyframes.tolist()[:2] == [0, 10]
    bad = damaged_packet(source, tmp_path / "damaged_keyframe.mp4", packet_number=10)
    meta = probe_video(bad)
    with av.open(str(bad)) as container:
        container.streams.video[0].codec_context.thread_count = 1
        flagged = [f.pts for f in container.decode(video=0) if f.is_corrupt]
    assert int(meta.pts[10]) in flagged, "the damaged keyframe should be flagged corrupt"
    assert int(meta.pts[12]) not in flagged, "the frames after it are not flagged by FFmpeg"
    with pytest.raises(FrameDecodeError, match="damaged"):
        decode_frames(bad, [12, 13], pts=meta.pts, keyframes=meta.keyframes, threads=1)
    # the next GOP starts from a clean keyframe: its frames are exact
    frames = decode_frames(bad, [20, 21], pts=meta.pts, keyframes=meta.keyframes, threads=1)
    assert [read_frame_index(f) for f in frames] == [20, 21]


@pytest.mark.timeout(60)
def test_metadata_that_is_not_utf8_does_not_stop_a_worker(sources: Sources, tmp_path: Path) -> None:
    # was: the index opened the file with metadata_errors="ignore", the workers did not: PyAV
    # raised UnicodeDecodeError on the "major_brand" tag, a WorkerTaskError that ended the epoch
    data = bytearray(sources["h264"])
    assert data[8:12] == b"isom"  # ftyp's major brand
    data[10] = 0xEF  # not UTF-8
    path = tmp_path / "brand.mp4"
    path.write_bytes(bytes(data))
    meta = probe_video(path)
    frames = decode_frames(path, [0, 12], pts=meta.pts, keyframes=meta.keyframes, threads=1)
    assert [read_frame_index(f) for f in frames] == [0, 12]
    with GopCutter() as cutter:
        cut = cutter.cut(str(path), np.array([12]), pts=meta.pts, keyframes=meta.keyframes)
    assert cut.packets >= 3  # keyframe 10 up to frame 12


@pytest.mark.timeout(60)
def test_vp9_packet_shown_before_its_keyframe_is_refused_by_the_cut(
    sources: Sources, tmp_path: Path
) -> None:
    # was: the cut for DALI left the packet out as if it were an open GOP's leading picture,
    # but VP9 frames after it are predicted from it: DALI returned wrong frames, silently
    data = bytearray(sources["vp9"])
    blocks = [e for e in ebml_elements(bytes(data)) if e.kind == "SimpleBlock"]
    keys = [i for i, b in enumerate(blocks) if data[b.payload + 3] & 0x80]
    key, after = blocks[keys[1]], blocks[keys[1] + 1]  # the second keyframe, the frame after it
    key_time = struct.unpack_from(">h", data, key.payload + 1)[0]
    struct.pack_into(">h", data, after.payload + 1, key_time - 34)  # shown before the keyframe
    path = tmp_path / "early_pts.webm"
    path.write_bytes(bytes(data))
    meta = probe_video(path)
    later = int(meta.keyframes[1]) + 4
    with av.open(str(path)) as container:
        decode_order = [p.pts for p in container.demux(video=0) if p.pts is not None]
    assert decode_order != sorted(decode_order), "the crafted file should show a frame early"
    with GopCutter() as cutter, pytest.raises(GopCutError, match="timestamps are damaged"):
        cutter.cut(str(path), np.array([later]), pts=meta.pts, keyframes=meta.keyframes)
    with GopCutter() as cutter:  # the GOPs before it are cut as before
        cut = cutter.cut(str(path), np.array([3]), pts=meta.pts, keyframes=meta.keyframes)
    assert cut.frames.tolist() == [3]


@pytest.mark.timeout(60)
def test_vp9_keyframe_coded_at_another_size_is_a_named_probe_error(
    sources: Sources, tmp_path: Path
) -> None:
    # was: indexed as 16480x72 (FFmpeg takes the size from the first keyframe) while later
    # keyframes are 96x72; DALI's decoder allocated 16480-wide frames: wrong pixels, silently
    data = bytearray(sources["vp9"])
    first = next(e for e in ebml_elements(bytes(data)) if e.kind == "SimpleBlock")
    frame = first.payload + 4  # after the track number, timecode and flags
    assert data[frame : frame + 7] == bytes.fromhex("824983420005f0")  # profile 0, 96 wide
    data[frame + 4] |= 0x04  # frame_width_minus_1: 0x005f -> 0x405f
    path = tmp_path / "wide_first_keyframe.webm"
    path.write_bytes(bytes(data))
    with pytest.raises(VideoProbeError, match=r"keyframe at pts \d+ is coded at 96x72") as info:
        probe_video(path)
    assert "states 16480x72" in info.value.reason
    assert reason_kind(info.value.reason) == "damaged_header"
