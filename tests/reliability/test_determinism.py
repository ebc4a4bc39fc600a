"""Determinism: one seed, the same clips and bit-identical tensors, whatever the worker count.

Each CPU path reads its whole bad-input battery (so skipped files are part of the run) with
random clips, a random video order and random augmentations, in two loaders with the same seed:
one with 1 worker process, one with 2. Both epochs 0 and 1 must match exactly; another seed
must give another plan.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
import torch
import torchvision.transforms as tv

from fastvid.data.samplers import make_clip_sampler
from fastvid.reader.loader.clip_loader import ClipLoader
from tests.reliability.conftest import Battery, loader_options

SEED = 11
EPOCHS = (0, 1)


def random_transform() -> Any:
    from pytorchvideo.transforms import (
        ApplyTransformToKey,
        RandomShortSideScale,
        UniformTemporalSubsample,
    )

    return ApplyTransformToKey(
        "video",
        tv.Compose(
            [
                UniformTemporalSubsample(4),
                RandomShortSideScale(min_size=56, max_size=72),
                tv.RandomCrop(48),
                tv.RandomHorizontalFlip(p=0.5),
            ]
        ),
    )


def make_loader(battery: Battery, *, seed: int = SEED, num_workers: int = 1) -> ClipLoader:
    return ClipLoader(
        battery.pairs(),
        index=battery.index,
        **loader_options(
            cpu_decoder=battery.kind,
            clip_sampler=make_clip_sampler("random", 0.5),
            transform=random_transform(),
            video_sampler=None,  # RandomSampler, reshuffled from the seed every epoch
            seed=seed,
            num_workers=num_workers,
            batch_size=3,
        ),
    )


def run(loader: ClipLoader) -> dict[int, list[dict[str, Any]]]:
    try:
        epochs = {}
        for epoch in EPOCHS:
            loader.set_epoch(epoch)
            epochs[epoch] = list(loader)
        return epochs
    finally:
        loader.close()
        gc.collect()


def clips(batches: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (name, int(batch["video_index"][i]), int(batch["clip_index"][i]), int(batch["label"][i]))
        for batch in batches
        for i, name in enumerate(batch["video_name"])
    ]


@pytest.fixture(scope="module", params=["dali", "pyav"])
def twin_runs(request: pytest.FixtureRequest) -> Iterator[tuple[Battery, list[dict], list[dict]]]:
    battery: Battery = request.getfixturevalue(f"{request.param}_battery")
    one = run(make_loader(battery, num_workers=1))
    two = run(make_loader(battery, num_workers=2))
    yield battery, [one[e] for e in EPOCHS], [two[e] for e in EPOCHS]


@pytest.mark.timeout(300)
def test_same_seed_same_clips_and_tensors_with_1_or_2_workers(twin_runs: Any) -> None:
    battery, one, two = twin_runs
    for epoch, (a, b) in enumerate(zip(one, two, strict=True)):
        assert clips(a) == clips(b), f"epoch {epoch}"
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert x["video"].shape == y["video"].shape == (len(x["video_name"]), 3, 4, 48, 48)
            assert torch.equal(x["video"], y["video"]), f"epoch {epoch}: {x['video_name']}"
    assert clips(one[0]) != clips(one[1]), "epochs reshuffle"
    skipped_names = {n for n, c in battery.cases.items() if c.outcome in ("index", "decode")}
    delivered = {name for batch in one[0] for name in batch["video_name"]}
    assert not delivered & {battery.cases[n].path.name for n in skipped_names}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["dali", "pyav"])
def test_another_seed_gives_another_plan(kind: str, request: pytest.FixtureRequest) -> None:
    battery: Battery = request.getfixturevalue(f"{kind}_battery")

    def plan(seed: int) -> list[tuple[int, int, float]]:
        loader = make_loader(battery, seed=seed)
        return [(c.video_index, c.clip_index, float(c.clip_start_sec)) for c in loader.plan(0)]

    assert plan(SEED) == plan(SEED)
    assert plan(SEED) != plan(SEED + 1)
