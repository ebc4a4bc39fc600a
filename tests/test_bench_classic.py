"""The classic-shaped benchmark datasets, the SPDL rows, the strict ceiling, the frame check,
repeats and issue 22's targets (``benchmarks/``, ``fastvid bench --classic``)."""

from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np
import pytest
from av.video.frame import PictureType

from fastvid.bench import source_root

sys.path.insert(0, str(source_root()))

from benchmarks import loaders
from benchmarks.datasets import DatasetSpec, ensure_dataset
from benchmarks.loaders.repeats import median_result
from benchmarks.loaders.strict_ceiling import StrictDecoder
from benchmarks.run import build_parser, samplers_for, suite
from fastvid.benchmark import report
from fastvid.benchmark.loaders import available
from fastvid.benchmark.loaders.frame_check import check_frames
from fastvid.benchmark.loaders.harness import RowResult
from fastvid.benchmark.loaders.spdl_rows import SpdlClips, _filter_graph, spdl_batches

SPDL = available("spdl.io")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench_data")


@pytest.fixture(scope="module")
def avi(data_dir: Path) -> object:
    """Two UCF101-like files: MPEG-4 Part 2 in AVI with B-frames, 25 fps, 3 s, small."""
    spec = DatasetSpec("mpeg4", 160, 120, 2, duration=3.0, fps=25, gop=30, label="ucf-tiny")
    return ensure_dataset(spec, data_dir, log=lambda _: None)


def test_the_mpeg4_avi_transcode_keeps_every_frame_with_b_frames(avi: object) -> None:
    for path in avi.paths:  # type: ignore[attr-defined]
        assert path.endswith(".avi")
        with av.open(path) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.name, stream.width, stream.height) == ("mpeg4", 160, 120)
            assert container.format.name == "avi"
            kinds = [PictureType(frame.pict_type).name for frame in container.decode(stream)]
        assert len(kinds) == 75
        assert kinds.count("B") >= 30 and kinds.count("I") == 3  # GOP 30 at 75 frames


def test_the_ucf101_like_files_are_packed_xvid_avi_with_mp3(data_dir: Path) -> None:
    spec = DatasetSpec("xvid", 160, 120, 1, duration=2.0, fps=25, gop=30, label="ucf-xvid")
    (path,) = ensure_dataset(spec, data_dir, log=lambda _: None).paths
    assert path.endswith(".avi")
    with av.open(path) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.codec_tag) == ("mpeg4", "XVID")
        assert audio.codec_context.name in ("mp3", "mp3float")  # the decoder FFmpeg picked
        packets = [p for p in container.demux(video) if p.size]
        container.seek(0)
        stamps = [frame.pts for frame in container.decode(video)]
    assert len(stamps) == 50
    assert stamps != sorted(stamps)  # FFmpeg invents the timestamps out of order (issue 22)
    # the packed bitstream: a B-frame rides in the chunk before it, a tiny chunk holds its place
    assert any(p.size < 16 for p in packets)


def test_an_odd_width_is_encoded_from_the_even_h264_source(data_dir: Path) -> None:
    spec = DatasetSpec("vp9", 107, 60, 1, duration=1.0, fps=12, label="ssv2-tiny")
    dataset = ensure_dataset(spec, data_dir, log=lambda _: None)
    assert spec.name == "ssv2-tiny" and spec.h264_source().width == 108
    with av.open(dataset.paths[0]) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 12 and (frames[0].width, frames[0].height) == (107, 60)
    assert "ssv2" not in dataset.folder.name  # the label names the dataset, not its files


def test_the_classic_suite_and_its_options() -> None:
    args = build_parser().parse_args(["--classic", "--repeats", "3"])
    specs = suite(args)
    assert [(s.name, s.codec, s.width, s.height, s.fps, s.duration) for s in specs] == [
        ("ucf101-like", "xvid", 320, 240, 25, 7.0),
        ("kinetics-like", "h264", 340, 256, 30, 10.0),
        ("ssv2-like", "vp9", 427, 240, 12, 4.0),
    ]
    assert all(samplers_for(args, s) == ["uniform", "random"] for s in specs)
    assert args.repeats == 3
    assert {"spdl", "spdl_filtergraph", "strict_ceiling"} <= set(args.rows)
    from benchmarks.cli_args import validate_args

    parser = build_parser()
    with pytest.raises(SystemExit):
        validate_args(parser, parser.parse_args(["--repeats", "0"]))


def _workload(dataset: object, sampler: str, index: object = None) -> loaders.Workload:
    from fastvid.data.index import VideoIndex

    index = index or VideoIndex.build(dataset.paths, cache=False, progress=False)  # type: ignore[attr-defined]
    return loaders.make_workload(
        "tiny",
        dataset.pairs,  # type: ignore[attr-defined]
        batch_size=2,
        index=index,
        codec=dataset.spec.codec,  # type: ignore[attr-defined]
        sampler=sampler,
    )


@pytest.mark.parametrize("sampler", ["uniform", "random"])
def test_the_strict_ceiling_decodes_the_planned_frames_and_no_more(
    avi: object, sampler: str
) -> None:
    work = _workload(avi, sampler)
    decoder = StrictDecoder()
    for request in work.plan:
        decoder.decode(request, work.index.meta(request.path))
    last = max(int(r.frame_indices.max()) for r in work.plan)
    # stops at each clip's last frame, skips unneeded B-frames: fewer than all up to the last
    assert 0 < decoder.decoded < 2 * (last + 1)
    batches = list(loaders.jobs.strict_ceiling_batches(work, processes=2))
    assert batches.count(None) == 1
    assert sum(b for b in batches[batches.index(None) + 1 :] if b) == work.num_clips


def test_the_transform_ceiling_gives_the_seed_transforms_of_the_planned_frames(avi: object) -> None:
    """Its clips are PyTorchVideo's seed transforms (drawn from the same seed) of the planned
    frames, within the uint8 resize's rounding; and its batches cover the plan."""
    import torch

    from benchmarks.loaders.transform_ceiling import TransformingDecoder
    from fastvid.reader.decoding.pyav_source import decode_frames

    work = _workload(avi, "uniform")
    decoder = TransformingDecoder(work.config, seed=7)
    torch.manual_seed(7)  # the global RNG PyTorchVideo's transforms draw from, seeded alike
    reference = work.config.video_transform(subsample=False)
    for request in work.plan[:3]:
        meta = work.index.meta(request.path)
        got = decoder.clip(request, meta)
        frames = decode_frames(
            request.path, request.frame_indices, pts=meta.pts, keyframes=meta.keyframes
        )
        want = reference(torch.from_numpy(frames).permute(3, 0, 1, 2).float())
        assert got.shape == want.shape == (3, 8, work.config.crop, work.config.crop)
        assert got.permute(1, 2, 3, 0).is_contiguous()  # written pixel by pixel
        assert (got - want).abs().max() <= 1.0 + 1e-4  # uint8 against float resize
    batches = list(loaders.jobs.transform_ceiling_batches(work, processes=2))
    assert batches.count(None) == 1
    assert sum(b for b in batches[batches.index(None) + 1 :] if b) == work.num_clips


def test_the_frame_check_flags_a_loader_that_returns_neighbouring_frames(
    avi: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastvid.benchmark.loaders import frame_check
    from fastvid.reader.decoding.pyav_source import PyAVFrameReader

    work = _workload(avi, "random")

    def decode(request: object, shift: int) -> np.ndarray:
        meta = work.index.meta(request.path)  # type: ignore[attr-defined]
        frames = np.minimum(request.frame_indices + shift, len(meta.pts) - 1)  # type: ignore[attr-defined]
        with PyAVFrameReader() as reader:
            return reader.decode_frames(
                request.path,  # type: ignore[attr-defined]
                frames,
                pts=meta.pts,
                keyframes=meta.keyframes,
            )

    monkeypatch.setattr(
        frame_check,
        "_decoders",
        lambda: {"torchcodec": lambda r: decode(r, 0), "decord": lambda r: decode(r, 2)},
    )
    checks = check_frames(work, ["torchcodec", "decord"])
    assert checks["torchcodec"]["same"] is True and checks["torchcodec"]["max_mean_abs_diff"] == 0
    assert checks["decord"]["same"] is False
    assert checks["decord"]["max_mean_abs_diff"] > frame_check.SAME_FRAME_MAX_DIFF
    # which frames it returned instead: two later (one later where the file ends)
    assert 2 in checks["decord"]["offsets"] and set(checks["decord"]["offsets"]) <= {1, 2}
    assert "offsets" not in checks["torchcodec"]


def test_a_failed_frame_check_names_the_frames_returned_instead() -> None:
    from benchmarks.run import _offset_text

    assert _offset_text([-1, 1]) == ": neighbouring frames (the planned frame -1 or +1)"
    assert _offset_text([1, None]).endswith("(the planned frame +1), or none near it")
    assert _offset_text([None]) == ": not the planned frame nor a neighbour of it"
    assert _offset_text([]) == ""


@pytest.mark.skipif(bool(SPDL), reason=SPDL or "")
@pytest.mark.parametrize("filter_graph", [False, True])
def test_the_spdl_rows_load_every_planned_clip(avi: object, filter_graph: bool) -> None:
    work = _workload(avi, "uniform")
    result = RowResult("tiny", "spdl", "cpu", "c")
    loaders.measure(spdl_batches(work, filter_graph=filter_graph), result, frames_per_clip=8)
    assert result.clips == work.num_clips and result.clips_per_s


@pytest.mark.skipif(bool(SPDL), reason=SPDL or "")
def test_spdl_frames_are_the_planned_frames(data_dir: Path) -> None:
    from fastvid.testing import read_frame_index

    dataset = ensure_dataset(DatasetSpec("h264", 160, 120, 1, duration=4.5, gop=30), data_dir)
    work = _workload(dataset, "uniform")
    clips = SpdlClips()
    for request in work.plan:
        got = [read_frame_index(f) for f in clips.frames(request).numpy()]
        assert got == request.frame_indices.tolist()


def test_the_filter_graph_draws_the_seed_augmentation() -> None:
    import random

    rng = random.Random(1)
    for _ in range(50):
        desc = _filter_graph(320, 240, rng)
        scale, crop = desc.split(",")[:2]
        width, height = (int(v) for v in scale[len("scale=") :].split(":")[:2])
        assert 256 <= height <= 320 and width == int(320 * height / 240)
        w, h, x, y = (int(v) for v in crop[len("crop=") :].split(":"))
        assert (w, h) == (244, 244) and 0 <= x <= width - 244 and 0 <= y <= height - 244
        assert desc.endswith("format=rgb24")


def _row(dataset: str, row: str, rate: float, **extra: object) -> dict:
    return {
        "dataset": dataset,
        "sampler": "uniform",
        "row": row,
        "device": "cpu",
        "config": "c",
        "status": "ok",
        "clips_per_s": rate,
        "params": {},
        "gop": 250,
        **extra,
    }


def test_classic_ratios_check_issue_22_s_targets() -> None:
    rows = [
        _row("ucf101-like", "fastvid", 60.0),
        _row("ucf101-like", "pytorchvideo", 10.0),
        _row("ucf101-like", "torchcodec", 40.0),
        _row("ucf101-like", "decord", 55.0),
        _row("ucf101-like", "spdl", 45.0),
        _row("ucf101-like", "spdl_filtergraph", 50.0),
        _row("ucf101-like", "strict_ceiling", 70.0),
        _row("720p-h264-gop250", "fastvid", 10.0),
        _row("720p-h264-gop250", "torchcodec", 5.0),
    ]
    report.mark_best(rows)
    ratios = {e["dataset"]: e for e in report.headline_ratios(rows)}
    classic = ratios["ucf101-like"]
    assert classic["same_pixels"]["row"] == "decord"
    assert classic["same_pixels"]["ratio"] == pytest.approx(60 / 55, abs=1e-3)
    assert not classic["same_pixels"]["met"]  # < 1.2x
    assert classic["pytorchvideo"]["met"] and classic["pytorchvideo"]["target"] == 5.0
    assert classic["spdl_filtergraph"]["met"] and classic["strict_ceiling"]["met"]
    assert "target" not in classic["torchcodec"]  # the same-pixels column carries it
    assert "same_pixels" not in ratios["720p-h264-gop250"]  # no SPDL row there
    assert ratios["720p-h264-gop250"]["torchcodec"]["target"] == 1.2
    lines = report.target_lines(report.headline_ratios(rows))
    assert any("fastvid / same_pixels" in line for line in lines)


def test_repeats_report_the_median_run() -> None:
    runs = []
    for rate in (3.0, 1.0, 2.0):
        result = RowResult("d", "r", "cpu", "c", clips_per_s=rate, cpu_s_per_clip=rate / 10)
        runs.append(result)
    middle = median_result(runs)
    assert middle.clips_per_s == 2.0
    assert middle.params["repeats"]["clips_per_s"] == [3.0, 1.0, 2.0]
    failed = RowResult("d", "r", "cpu", "c", status="failed", reason="x")
    assert median_result([runs[0], failed]) is failed
    with pytest.raises(ValueError, match="at least once"):
        median_result([])
    assert np.isclose(median_result(runs[:1]).clips_per_s or 0, 3.0)
