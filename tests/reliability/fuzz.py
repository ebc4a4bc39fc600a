"""The fuzz harness: source files, mutants, checked probes, a reference decode, one run.

``run_fuzz`` writes ``count`` mutants of the sources (``mutate.py``), probes each (timed;
``probe_video`` must return a meta or raise ``VideoProbeError``), reads all of them with one
``ClipLoader`` and asserts every outcome (see ``test_fuzz.py``); it returns a :class:`Tally`.
"""

from __future__ import annotations

import gc
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import torch
import torchvision.transforms as tv

from fastvid.data.index import VideoIndex, VideoMeta, VideoProbeError, probe_video
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.loader.clip_loader import ClipLoader
from fastvid.testing import make_video
from tests.reliability.conftest import FRAMES_PER_CLIP, SIZE, loader_options
from tests.reliability.mutate import mutate

PROBE_SECONDS = 5.0  # per-file bound on one probe (they take ~2-10 ms; generous for loaded CI)
TASK_SECONDS = 60.0  # the loader's task_timeout: a hung worker task fails its clips
CLIP_SECONDS = 0.5
# Largest mean |difference| (0..255) of one delivered frame from the same frame decoded by PyAV:
# DALI's CPU decoder converts YUV to RGB with its own rounding
# (tests/reader/loader/test_clip_loader.py)
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


def probe_checked(path: str, what: str) -> tuple[VideoMeta | VideoProbeError, float]:
    """``probe_video``'s meta or its named error, and the seconds it took.

    Any other exception, or a probe slower than ``PROBE_SECONDS``, fails with the file and its
    mutation.
    """
    began = time.perf_counter()
    try:
        result: VideoMeta | VideoProbeError = probe_video(path)
    except VideoProbeError as err:
        assert err.path == os.path.abspath(path) and err.reason, (path, what)
        result = err
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
    metas: list[VideoMeta] = []
    errors: dict[str, VideoProbeError] = {}
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
    index_skips = {os.path.abspath(s.path): (s.reason, s.kind) for s in skipped if s.epoch is None}
    assert index_skips == {path: (err.reason, err.kind) for path, err in errors.items()}
    # Every planned clip is delivered or skipped with a reason, never both, never neither.
    clip_skips = {(os.path.abspath(s.path), s.clip_index): s for s in skipped if s.epoch == 0}
    assert len(clip_skips) == len([s for s in skipped if s.epoch == 0]), "a clip skipped twice"
    assert not set(clip_skips) & set(delivered), "a clip both delivered and skipped"
    assert set(clip_skips) | set(delivered) == set(planned)
    for entry in skipped:
        assert "task_timeout" not in entry.reason, f"a hang: {entry.path}: {entry.reason}"
        kind = entry.kind
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
