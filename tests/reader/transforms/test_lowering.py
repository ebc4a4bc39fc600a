"""What ``lower_sample_transform`` / ``lower_video_transform`` move into the DALI graph.

The longest known prefix of a chain is lowered; the first unknown transform and everything after
it stay in torch (and are named); sample-dict steps on other keys commute with the video ops.
Numerical agreement of the lowered ops with the originals is tested in ``dali/test_graph.py``;
here the residual part is checked by running it (``apply_residual``) against the original.
"""

from __future__ import annotations

import random
from typing import Any

import kornia.augmentation as K
import numpy as np
import pytest
import torch
import torchvision.transforms as T
from pytorchvideo import transforms as ptv

from fastvid.reader.transforms.augment import (
    ChannelAffine,
    CropOp,
    FlipOp,
    LoweredPipeline,
    ResizedCropOp,
    ShortSideScaleOp,
)
from fastvid.reader.transforms.lowering import (
    LoweredTransform,
    describe,
    lower_sample_transform,
    lower_video_transform,
)

SEED_CHAIN = [
    ptv.UniformTemporalSubsample(8),
    ptv.RandomShortSideScale(256, 320),
    T.RandomCrop(244),
    T.RandomHorizontalFlip(p=0.5),
]


class Brighten:
    """A transform fastvid does not know (deterministic, but not pointwise affine)."""

    def __call__(self, video: torch.Tensor) -> torch.Tensor:
        return video.clamp(0, 200)


def _on_video(*transforms: Any) -> T.Compose:
    return T.Compose([ptv.ApplyTransformToKey("video", T.Compose(list(transforms)))])


def _video(seed: int = 0, shape: tuple[int, ...] = (3, 4, 24, 32)) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, shape, generator=generator).float()


def _apply_affine(video: torch.Tensor, affine: ChannelAffine) -> torch.Tensor:
    scale = torch.tensor(affine.scale)[:, None, None, None]
    offset = torch.tensor(affine.offset)[:, None, None, None]
    return video * scale + offset


# --------------------------------------------------------------------------- fully lowered


def test_seed_chain_is_fully_lowered() -> None:
    lowered = lower_sample_transform(_on_video(*SEED_CHAIN))
    assert lowered.fully_lowered
    assert lowered.residual_names == ()
    assert lowered.pipeline == LoweredPipeline(
        temporal_subsample=(8,),
        spatial_ops=(ShortSideScaleOp(256, 320), CropOp(244, 244, True), FlipOp(0.5)),
        affine=ChannelAffine(),
    )


def test_seed_chain_with_normalize_folds_one_affine() -> None:
    chain = [*SEED_CHAIN, ptv.Div255(), ptv.Normalize((0.45, 0.4, 0.35), (0.225, 0.2, 0.25))]
    lowered = lower_sample_transform(_on_video(*chain))
    assert lowered.fully_lowered
    affine = lowered.pipeline.affine
    expected_scale = [1 / 255 / s for s in (0.225, 0.2, 0.25)]
    expected_offset = [-m / s for m, s in zip((0.45, 0.4, 0.35), (0.225, 0.2, 0.25), strict=True)]
    np.testing.assert_allclose(affine.scale, expected_scale, rtol=1e-6)
    np.testing.assert_allclose(affine.offset, expected_offset, rtol=1e-6)


def test_nested_compose_and_sequential_are_flattened() -> None:
    transform = T.Compose(
        [
            ptv.ApplyTransformToKey(
                "video",
                T.Compose(
                    [
                        torch.nn.Sequential(ptv.UniformTemporalSubsample(4), T.CenterCrop(10)),
                        [ptv.Div255()],
                    ]
                ),
            )
        ]
    )
    lowered = lower_sample_transform(transform)
    assert lowered.fully_lowered
    assert lowered.pipeline.spatial_ops == (CropOp(10, 10, False),)
    assert lowered.pipeline.temporal_subsample == (4,)


def _tv_resized_crop(**kwargs: Any) -> ResizedCropOp:
    return ResizedCropOp(16, 16, (0.08, 1.0), (3 / 4, 4 / 3), float32_draws=True, **kwargs)


def test_datamodule_sample_transform_is_flattened() -> None:
    """``fastvid.data.transforms.sample_transform`` composes Flash's stages with its own class."""
    from fastvid.data.transforms import sample_transform

    label = ptv.ApplyTransformToKey("label", lambda y: y)
    composed = sample_transform(
        {"per_sample_transform": _on_video(T.CenterCrop(8)), "post_tensor_transform": label}
    )
    assert composed is not None
    lowered = lower_sample_transform(composed)
    assert lowered.pipeline.spatial_ops == (CropOp(8, 8, False),)
    assert lowered.residual_sample == (label,)


@pytest.mark.parametrize(
    ("transform", "op"),
    [
        (ptv.ShortSideScale(64), ShortSideScaleOp(64, 64)),
        (
            T.RandomCrop((10, 12), padding=(1, 2), fill=5),
            CropOp(10, 12, True, (1, 2, 1, 2), fill=(5.0,) * 3),
        ),
        (T.RandomCrop(8, pad_if_needed=True), CropOp(8, 8, True, pad_if_needed=True)),
        (T.RandomResizedCrop(16), _tv_resized_crop(antialias=True)),
        (T.RandomResizedCrop(16, antialias=False), _tv_resized_crop()),
        (T.RandomResizedCrop(16, antialias=None), _tv_resized_crop()),
        (
            ptv.RandomResizedCrop(
                8, 9, (0.5, 1.0), (0.9, 1.1), log_uniform_ratio=False, num_tries=3
            ),
            ResizedCropOp(8, 9, (0.5, 1.0), (0.9, 1.1), log_uniform_ratio=False, num_tries=3),
        ),
        (T.RandomHorizontalFlip(0.25), FlipOp(0.25)),
    ],
    ids=[
        "short-side",
        "crop-padding",
        "crop-if-needed",
        "tv-rrc",
        "tv-rrc-no-aa",
        "tv-rrc-aa-none",
        "ptv-rrc",
        "flip",
    ],
)
def test_each_known_transform_lowers_to_its_op(transform: Any, op: Any) -> None:
    lowered = lower_video_transform(transform)
    assert lowered.fully_lowered
    assert lowered.pipeline.spatial_ops == (op,)


@pytest.mark.parametrize(
    "transform",
    [
        ptv.ShortSideScale(64, backend="opencv"),
        ptv.RandomShortSideScale(64, 80, interpolation="nearest"),
        T.RandomCrop(8, padding=2, padding_mode="reflect"),
        T.RandomResizedCrop(16, interpolation=T.InterpolationMode.BICUBIC),
        ptv.RandomResizedCrop(8, 8, (0.5, 1.0), (0.9, 1.1), shift=True),
        ptv.UniformTemporalSubsample(4, temporal_dim=0),
        T.Normalize((0.4, 0.45, 0.5), (0.2, 0.2, 0.2)),  # on (C, T, H, W) this normalises dim T
    ],
    ids=["opencv", "nearest", "reflect", "bicubic", "shift", "temporal-dim-0", "tv-normalize-rgb"],
)
def test_variants_the_graph_cannot_reproduce_stay_in_torch(transform: Any) -> None:
    lowered = lower_video_transform(transform)
    assert lowered.residual_video == (transform,)
    assert lowered.pipeline == LoweredPipeline()


# --------------------------------------------------------------------------- residuals


def test_unknown_transform_stops_lowering() -> None:
    unknown = Brighten()
    flip = T.RandomHorizontalFlip(0.5)
    transform = _on_video(ptv.UniformTemporalSubsample(4), T.CenterCrop(20), unknown, flip)
    lowered = lower_sample_transform(transform)
    assert lowered.pipeline.temporal_subsample == (4,)
    assert lowered.pipeline.spatial_ops == (CropOp(20, 20, False),)
    assert lowered.residual_video == (unknown, flip)  # flip is known but comes after
    assert lowered.residual_names == (describe(unknown), "torchvision.RandomHorizontalFlip")
    assert not lowered.fully_lowered


def test_other_keys_are_residual_but_do_not_stop_lowering() -> None:
    label = ptv.ApplyTransformToKey("label", lambda y: y + 1)
    transform = T.Compose(
        [
            label,
            ptv.ApplyTransformToKey("video", T.Compose([ptv.UniformTemporalSubsample(4)])),
            ptv.ApplyTransformToKey("video", T.Compose([T.RandomCrop(8), ptv.Div255()])),
        ]
    )
    lowered = lower_sample_transform(transform)
    assert lowered.pipeline.temporal_subsample == (4,)
    assert lowered.pipeline.spatial_ops == (CropOp(8, 8, True),)
    assert not lowered.pipeline.affine.is_identity
    assert lowered.residual_sample == (label,)
    assert lowered.residual_video == ()
    result = lowered.apply_residual({"video": torch.zeros(1), "label": 1})
    assert result is not None and result["label"] == 2


def test_whole_sample_callable_stops_lowering() -> None:
    """A callable on the whole dict may read the video: it and what follows run in torch."""

    def drop_odd(sample: dict[str, Any]) -> dict[str, Any] | None:
        return None if sample["label"] % 2 else sample

    after = ptv.ApplyTransformToKey("video", T.Compose([T.RandomCrop(8)]))
    transform = T.Compose([_on_video(ptv.Div255()), drop_odd, after])
    lowered = lower_sample_transform(transform)
    assert lowered.pipeline.spatial_ops == ()
    assert lowered.residual_sample == (drop_odd, after)
    assert lowered.residual_names == ("drop_odd", "pytorchvideo.ApplyTransformToKey")
    assert lowered.apply_residual({"video": _video(), "label": 1}) is None


@pytest.mark.parametrize(
    "transform",
    [
        lambda x: x + torch.rand(1),
        lambda x: x * float(np.random.uniform(0.5, 2.0)),
        lambda x: x + random.random(),
        T.RandomApply([T.Lambda(lambda x: x * 2)], p=0.5),
        T.RandomApply([ptv.Div255()], p=0.9),
    ],
    ids=["torch-rand", "numpy-random", "python-random", "random-apply", "random-apply-div255"],
)
def test_random_callables_are_not_affine(transform: Any) -> None:
    states = (torch.random.get_rng_state(), random.getstate(), np.random.get_state()[1].copy())
    for _ in range(10):  # a random choice must never pass the probe by luck
        lowered = lower_video_transform(T.Compose([T.CenterCrop(8), transform]))
        assert lowered.pipeline.affine.is_identity
        assert lowered.residual_video == (transform,)
    # Probing does not move the user's global RNGs.
    assert torch.equal(torch.random.get_rng_state(), states[0])
    assert random.getstate() == states[1]
    assert np.array_equal(np.random.get_state()[1], states[2])


@pytest.mark.parametrize(
    "transform",
    [
        lambda x: x[:, ::2],  # drops frames
        lambda x: x.mean(dim=0, keepdim=True),  # merges channels
        lambda x: x.permute(1, 0, 2, 3),  # (T, C, H, W)
        lambda x: x.clamp(0, 100),  # pointwise, not affine
        lambda x: x[[2, 1, 0]],  # RGB -> BGR: affine per channel would need a permutation
        lambda x: x * 0,  # not invertible (padding values could not be mapped back)
        lambda x: (x - x.mean()) / x.std(),  # depends on the clip
    ],
    ids=["frames", "gray", "permute", "clamp", "bgr", "zero", "standardize"],
)
def test_non_affine_callables_are_residual(transform: Any) -> None:
    lowered = lower_video_transform(transform)
    assert lowered.residual_video == (transform,)
    assert lowered.residual_names == ("<lambda>",)


def test_kornia_video_sequential_is_one_residual_step() -> None:
    """kornia's containers are ``nn.Sequential`` subclasses with their own semantics (BCTHW)."""
    video_sequential = K.VideoSequential(
        K.RandomHorizontalFlip(), data_format="BCTHW", same_on_frame=True
    )
    lowered = lower_sample_transform(_on_video(*SEED_CHAIN, video_sequential))
    assert lowered.pipeline.spatial_ops[-1] == FlipOp(0.5)
    assert lowered.residual_video == (video_sequential,)
    assert lowered.residual_names == ("kornia.VideoSequential",)


def test_apply_residual_runs_the_rest_like_the_original() -> None:
    """Lowered prefix (emulated: affine only) + residual == the original chain, same seed."""
    rest = [Brighten(), T.RandomCrop(12, padding=2, fill=3), ptv.Div255()]
    label = ptv.ApplyTransformToKey("label", lambda y: y * 10)
    transform = T.Compose([label, _on_video(ptv.Normalize((10.0,), (2.0,)), *rest)])
    lowered = lower_sample_transform(transform)
    assert lowered.pipeline.spatial_ops == ()
    assert lowered.residual_video == tuple(rest)
    for seed in range(5):
        video = _video(seed)
        torch.manual_seed(seed)
        expected = transform({"video": video.clone(), "label": 3})
        torch.manual_seed(seed)
        lowered_video = _apply_affine(video, lowered.pipeline.affine)
        got = lowered.apply_residual({"video": lowered_video, "label": 3})
        assert got is not None
        assert got["label"] == expected["label"] == 30
        torch.testing.assert_close(got["video"], expected["video"], rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- affine folding


@pytest.mark.parametrize(
    "transform",
    [
        T.Normalize((0.5,), (0.25,)),
        ptv.Normalize((0.5,), (0.25,)),
        T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
        ptv.Normalize([0.5] * 3, [0.25] * 3),
        T.Normalize(torch.tensor([0.5]), torch.tensor([0.25])),
    ],
    ids=["tv-one", "ptv-one", "tv-three-equal", "ptv-list", "tensor"],
)
def test_normalize_with_one_value_broadcasts(transform: Any) -> None:
    lowered = lower_video_transform(transform)
    assert lowered.fully_lowered
    assert lowered.pipeline.affine == ChannelAffine(scale=(4.0,) * 3, offset=(-2.0,) * 3)


def test_per_channel_affine_matches_the_original() -> None:
    chain = T.Compose(
        [
            ptv.Div255(),
            ptv.Normalize((0.43, 0.45, 0.47), (0.22, 0.225, 0.23)),
            lambda x: x * 2.0 - 1.0,
            T.Lambda(lambda x: x / 3.0),
        ]
    )
    lowered = lower_video_transform(chain)
    assert lowered.fully_lowered
    video = _video(7)
    torch.testing.assert_close(
        _apply_affine(video, lowered.pipeline.affine), chain(video), rtol=1e-5, atol=1e-5
    )


def test_probed_affine_is_precise() -> None:
    """The probe reads the scale off the 0..255 span, not off f(1) - f(0) in float32."""
    affine = lower_video_transform(lambda x: (x - 114.75) / 57.375).pipeline.affine
    np.testing.assert_allclose(affine.scale, [1 / 57.375] * 3, rtol=1e-8)
    np.testing.assert_allclose(affine.offset, [-2.0] * 3, rtol=1e-8)
    affine = lower_video_transform(lambda x: x / 255.0).pipeline.affine
    np.testing.assert_allclose(affine.scale, [1 / 255] * 3, rtol=1e-8)


def test_crop_fill_is_mapped_back_through_the_affine() -> None:
    lowered = lower_video_transform(
        T.Compose([ptv.Normalize((0.5,), (0.25,)), T.RandomCrop(8, padding=1, fill=2)])
    )
    (crop,) = lowered.pipeline.spatial_ops
    assert isinstance(crop, CropOp)
    assert crop.fill == (1.0, 1.0, 1.0)  # (1 - 0.5) / 0.25 == 2


# --------------------------------------------------------------------------- odds and ends


def test_none_lowers_to_nothing() -> None:
    assert lower_sample_transform(None) == LoweredTransform()
    assert lower_video_transform(None) == LoweredTransform()
    assert lower_sample_transform(None).fully_lowered


def test_describe_names_transforms() -> None:
    assert describe(T.RandomCrop(4)) == "torchvision.RandomCrop"
    assert describe(Brighten()).endswith("Brighten")
    assert describe(lambda x: x) == "<lambda>"
