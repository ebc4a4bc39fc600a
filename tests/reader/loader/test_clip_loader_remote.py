"""Clips read from S3 (moto on loopback) and HTTP (a Range server on loopback) equal the same
files read locally: class-per-folder trees, CSV lists, the PyTorchVideo drop-in; PyAV and
GOP-cut (DALI) routes; faults during an epoch (retried, or skipped with the URL named)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import SequentialSampler

from fastvid.data import layout
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader import ClipLoader
from fastvid.reader.errors import VideoDecodeError
from fastvid.testing.servers import RangeHTTPServer

Clips = dict[tuple[int, str, int], torch.Tensor]


def clips_of(videos: Any, tmp_path: Path, **options: Any) -> Clips:
    """Every clip of one epoch, keyed by (label, file name, clip index)."""
    loader = ClipLoader(
        videos,
        clip_sampler=make_clip_sampler("uniform", 0.5),
        video_sampler=SequentialSampler,
        batch_size=2,
        device="cpu",
        num_workers=1,
        num_threads=1,
        progress=False,
        cache_dir=tmp_path / "cache",
        **{"on_error": "raise", **options},
    )
    try:
        out: Clips = {}
        for batch in loader:
            for i, name in enumerate(batch["video_name"]):
                key = (int(batch["label"][i]), name, int(batch["clip_index"][i]))
                out[key] = batch["video"][i]
        return out
    finally:
        loader.close()


def assert_same(remote: Clips, local: Clips) -> None:
    assert sorted(remote) == sorted(local)
    assert len(local) >= 8
    for key, clip in local.items():
        assert torch.equal(remote[key], clip), key


@pytest.fixture(scope="module")
def local_clips(remote_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Clips:
    return clips_of(layout.from_folder(remote_tree), tmp_path_factory.mktemp("local"))


def test_folder_on_s3_gives_the_local_clips(s3_server, remote_tree, local_clips, tmp_path):
    options = s3_server.storage_options
    videos = layout.from_folder("s3://fastvid-test/data", storage_options=options)
    local = layout.from_folder(remote_tree)
    assert videos.classes == local.classes == ("a", "b")
    assert [v.label for v in videos.videos] == [v.label for v in local.videos]
    assert [Path(v.path).name for v in videos.videos] == [Path(v.path).name for v in local.videos]
    assert all(v.path.startswith("s3://fastvid-test/data/") for v in videos.videos)
    assert_same(clips_of(videos, tmp_path, storage_options=options), local_clips)


def test_folder_over_http_gives_the_local_clips(http_server, remote_tree, local_clips, tmp_path):
    videos = layout.from_folder(f"{http_server.url}/data/")
    assert [Path(v.path).name for v in videos.videos] == [
        Path(v.path).name for v in layout.from_folder(remote_tree).videos
    ]
    assert_same(clips_of(videos, tmp_path), local_clips)


@pytest.mark.parametrize("where", ["s3", "http"])
def test_csv_list_gives_the_local_clips(where, s3_server, http_server, local_clips, tmp_path):
    if where == "s3":
        url, options = "s3://fastvid-test/data/list.csv", s3_server.storage_options
    else:
        url, options = f"{http_server.url}/data/list.csv", None
    videos = layout.from_csv(url, storage_options=options)
    assert all(v.path.startswith(url.rsplit("/", 1)[0]) for v in videos.videos)
    assert_same(clips_of(videos, tmp_path, storage_options=options), local_clips)


def test_gop_cut_route_reads_s3(s3_server, remote_tree, tmp_path):
    """cpu_decoder="dali": VP9 files go to DALI as GOP cuts made from ranged S3 reads."""
    options = s3_server.storage_options
    remote = clips_of(
        layout.from_folder("s3://fastvid-test/data", storage_options=options),
        tmp_path / "s3",
        storage_options=options,
        cpu_decoder="dali",
    )
    local = clips_of(layout.from_folder(remote_tree), tmp_path / "local", cpu_decoder="dali")
    assert_same(remote, local)


def test_drop_in_dataset_reads_s3(s3_server, remote_tree):
    from fastvid.data import labeled_video_dataset

    def samples(path: str, **options: Any) -> dict[tuple[str, int], torch.Tensor]:
        dataset = labeled_video_dataset(
            path,
            make_clip_sampler("uniform", 0.5),
            video_sampler=SequentialSampler,
            decode_audio=False,
            device="cpu",
            num_workers=1,
            progress=False,
            **options,
        )
        return {(s["video_name"], int(s["clip_index"])): s["video"] for s in dataset}

    local = samples(str(remote_tree))
    remote = samples("s3://fastvid-test/data", storage_options=s3_server.storage_options)
    assert sorted(remote) == sorted(local)
    assert all(torch.equal(remote[k], local[k]) for k in local)


def test_transient_5xx_during_an_epoch_are_retried(s3_server, local_clips, tmp_path):
    options = s3_server.storage_options
    videos = layout.from_folder("s3://fastvid-test/data", storage_options=options)
    clips_of(videos, tmp_path, storage_options=options)  # index cached: the epoch reads only
    s3_server.fail_next(2, status=503)
    try:
        assert_same(clips_of(videos, tmp_path, storage_options=options), local_clips)
    finally:
        s3_server.fail_next(0)
    assert s3_server.fail == 0  # both failures were hit, and retried


@pytest.fixture
def own_server(remote_tree: Path, tmp_path: Path):
    """A server of a private copy (files may be deleted), with basic auth."""
    root = tmp_path / "served"
    shutil.copytree(remote_tree, root / "data")
    with RangeHTTPServer(root, auth=("alice", "s3cr3t")) as server:
        yield server, root


def test_object_deleted_mid_epoch_is_skipped_with_its_url(own_server, local_clips, tmp_path):
    server, root = own_server
    base = server.url.replace("http://", "http://alice:s3cr3t@") + "/data/"
    videos = layout.from_folder(base)
    loader = ClipLoader(
        videos,
        clip_sampler=make_clip_sampler("uniform", 0.5),
        video_sampler=SequentialSampler,
        device="cpu",
        num_workers=1,
        progress=False,
        cache_dir=tmp_path / "cache",
    )
    try:
        loader.setup()  # indexed while every object exists
        (root / "data" / "b" / "b_0.webm").unlink()
        names = [name for batch in loader for name in batch["video_name"]]
    finally:
        loader.close()
    assert "b_0.webm" not in names and "a_0.mp4" in names
    reasons = {s.path: s.reason for s in loader.skipped}
    gone = next(path for path in reasons if path.endswith("b/b_0.webm"))
    assert "deleted" in reasons[gone] and "b_0.webm" in reasons[gone]
    assert all("s3cr3t" not in f"{path} {reason}" for path, reason in reasons.items())


def test_persistent_failure_raises_naming_the_url_without_credentials(own_server, tmp_path):
    server, _ = own_server
    url = server.url.replace("http://", "http://alice:s3cr3t@") + "/data/a/a_1.mp4"
    loader = ClipLoader(
        [(url, 0)],
        clip_sampler=make_clip_sampler("uniform", 0.5),
        device="cpu",
        num_workers=1,
        progress=False,
        cache_dir=tmp_path / "cache",
        on_error="raise",
        storage_options={"client_kwargs": {}},
    )
    try:
        loader.setup()
        server.fail_next(1000, status=500)
        with pytest.raises(VideoDecodeError) as caught:
            list(loader)
    finally:
        loader.close()
    message = str(caught.value)
    assert "a_1.mp4" in message and "500" in message and "4 tries" in message
    assert "s3cr3t" not in message and "alice" not in message


def test_stalled_server_skips_clips_instead_of_hanging(own_server, tmp_path):
    import time

    from fastvid.data.storage import Storage

    server, _ = own_server
    url = server.url.replace("http://", "http://alice:s3cr3t@") + "/data/a/a_1.mp4"
    loader = ClipLoader(
        [(url, 0)],
        clip_sampler=make_clip_sampler("uniform", 0.5),
        device="cpu",
        num_workers=1,
        progress=False,
        cache_dir=tmp_path / "cache",
        storage_options=Storage(timeout=0.5, attempts=2, backoff=0.01),
    )
    try:
        loader.setup()
        server.slow(3.0)  # every GET stalls past the 0.5 s read timeout
        started = time.monotonic()
        batches = list(loader)
        elapsed = time.monotonic() - started
    finally:
        server.slow(0)
        loader.close()
    assert batches == [] and loader.skipped
    assert elapsed < 30
    reason = loader.skipped[0].reason
    assert "a_1.mp4" in reason and "after 2 tries" in reason and "s3cr3t" not in reason
