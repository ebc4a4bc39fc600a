"""fastvid's clip samplers against PyTorchVideo 0.1.5's (the oracle): same clips, same order,
same types, same state machine; plus the factory, validation and wrapping of PyTorchVideo's
own sampler objects."""

from __future__ import annotations

import pickle
import random
from fractions import Fraction
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytorchvideo.data import clip_sampling as pv

from fastvid.data.samplers import (
    ClipInfo,
    ClipInfoList,
    ClipSampler,
    ConstantClipsPerVideoSampler,
    PyTorchVideoClipSampler,
    RandomClipSampler,
    RandomMultiClipSampler,
    UniformClipSampler,
    as_clip_sampler,
    clips_for_video,
    list_clip_samplers,
    make_clip_sampler,
    register_clip_sampler,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=50, deadline=None)


# ---------------------------------------------------------------------------------------------
# The oracle driver: PyTorchVideo's LabeledVideoDataset loop over one video, written out here
# independently of fastvid's clips_for_video.


def drive_pytorchvideo(sampler: Any, duration: Any, annotation: Any = None) -> list[tuple]:
    info_dict = {} if annotation is None else annotation
    clips = []
    next_clip_start_time: Any = 0.0
    while len(clips) < 100_000:
        info = sampler(next_clip_start_time, duration, info_dict)
        clips.append(tuple(info))
        clip_end, is_last_clip = info[1], info[4]
        next_clip_start_time = clip_end
        if is_last_clip[-1] if isinstance(is_last_clip, list) else is_last_clip:
            sampler.reset()
            return clips
    raise AssertionError("PyTorchVideo sampler did not finish")


def typed(value: Any) -> Any:
    """Values with their types, so Fraction(1) and 1.0 do not compare equal."""
    if isinstance(value, list | tuple):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def assert_same_clips(ours: list, theirs: list) -> None:
    assert typed([tuple(c) for c in ours]) == typed(theirs)


# ---------------------------------------------------------------------------------------------
# Strategies: mixed float / Fraction / int values, as users pass them.

positive_fractions = st.fractions(
    min_value=Fraction(1, 100), max_value=10, max_denominator=1000
).filter(lambda f: f > 0)
clip_durations = st.one_of(
    positive_fractions,
    st.floats(min_value=0.01, max_value=10, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=5),
    st.sampled_from([2.0, Fraction(32, 30), Fraction(16, 15), 1.0666, 0.1, 1 / 3]),
)


@st.composite
def durations_for(draw: st.DrawFn, clip_duration: Any) -> Any:
    """A video duration: an exact multiple of the clip, an arbitrary multiple (tiny to long)
    as Fraction or float, or a tiny absolute duration."""
    kind = draw(st.sampled_from(["exact", "fraction", "float", "tiny"]))
    if kind == "exact":
        k = draw(st.integers(min_value=1, max_value=40))
        exact = Fraction(clip_duration) * k
        return draw(st.sampled_from([exact, float(exact)]))
    if kind == "fraction":
        multiple = draw(st.fractions(min_value=Fraction(1, 997), max_value=40, max_denominator=997))
        return Fraction(clip_duration) * multiple + draw(
            st.sampled_from([0, Fraction(1, 10**6), Fraction(1, 30)])
        )
    if kind == "float":
        multiple = draw(st.floats(min_value=1e-3, max_value=40.0))
        return float(clip_duration) * multiple + draw(st.sampled_from([0.0, 1e-9, 0.01]))
    return draw(st.floats(min_value=1e-4, max_value=0.5))


@st.composite
def strides_for(draw: st.DrawFn, clip_duration: Any) -> Any:
    """None, or a stride in (0, clip_duration] as Fraction or float (>= clip/25, so a video
    gives at most ~1000 clips)."""
    kind = draw(st.sampled_from(["none", "same", "fraction", "float"]))
    if kind == "none":
        return None
    if kind == "same":
        return clip_duration
    ratio = draw(st.fractions(min_value=Fraction(1, 25), max_value=1, max_denominator=100))
    stride = Fraction(clip_duration) * ratio
    return stride if kind == "fraction" else float(stride)


# ---------------------------------------------------------------------------------------------
# uniform


@SETTINGS
@given(data=st.data(), clip_duration=clip_durations, backpad_last=st.booleans())
def test_uniform_matches_pytorchvideo(data: st.DataObject, clip_duration: Any, backpad_last: bool):
    stride = data.draw(strides_for(clip_duration), label="stride")
    duration = data.draw(durations_for(clip_duration), label="duration")
    eps = data.draw(st.sampled_from([1e-6, 1e-3, Fraction(1, 10**5)]), label="eps")
    if stride is not None and stride > clip_duration:  # float rounding of a Fraction stride
        with pytest.raises(AssertionError):
            pv.UniformClipSampler(clip_duration, stride, backpad_last, eps)
        with pytest.raises(ValueError, match="stride"):
            UniformClipSampler(clip_duration, stride, backpad_last, eps)
        return
    theirs = pv.UniformClipSampler(clip_duration, stride, backpad_last, eps)
    ours = UniformClipSampler(clip_duration, stride, backpad_last, eps)
    expected = drive_pytorchvideo(theirs, duration)
    clips = clips_for_video(ours, duration)
    assert_same_clips(clips, expected)
    assert all(type(c) is ClipInfo for c in clips)
    # The sampler is reset: a second video gives the same clips again.
    assert clips_for_video(ours, duration) == clips


@SETTINGS
@given(data=st.data(), clip_duration=clip_durations, backpad_last=st.booleans())
def test_uniform_state_machine_matches_pytorchvideo(
    data: st.DataObject, clip_duration: Any, backpad_last: bool
):
    """Arbitrary calls and resets (not only the dataset's loop) give the same results."""
    stride = data.draw(strides_for(clip_duration), label="stride")
    if stride is not None and stride > clip_duration:
        return
    theirs = pv.UniformClipSampler(clip_duration, stride, backpad_last)
    ours = UniformClipSampler(clip_duration, stride, backpad_last)
    times = st.one_of(
        st.fractions(min_value=0, max_value=50, max_denominator=300),
        st.floats(min_value=0, max_value=50),
    )
    ops = data.draw(
        st.lists(st.one_of(st.just(None), st.tuples(times, times)), min_size=1, max_size=30),
        label="ops",
    )
    for op in ops:
        if op is None:
            theirs.reset()
            ours.reset()
            continue
        last_clip_time, duration = op
        assert typed(tuple(ours(last_clip_time, duration, {}))) == typed(
            tuple(theirs(last_clip_time, duration, {}))
        )


@pytest.mark.parametrize(
    ("duration", "backpad_last", "expected"),
    [
        (Fraction(53, 10), False, [(0, 2), (2, 4)]),  # FACTS.md: the last 1.3 s is dropped
        (Fraction(53, 10), True, [(0, 2), (2, 4), (Fraction(33, 10), Fraction(53, 10))]),
        (Fraction(1, 2), False, [(0, 2)]),  # shorter than one clip: one clip past the end
        (4, False, [(0, 2), (2, 4)]),
    ],
)
def test_uniform_documented_examples(duration: Any, backpad_last: bool, expected: list) -> None:
    sampler = make_clip_sampler("uniform", Fraction(2), backpad_last=backpad_last)
    clips = clips_for_video(sampler, duration)
    assert [(c.clip_start_sec, c.clip_end_sec) for c in clips] == expected
    assert [c.clip_index for c in clips] == list(range(len(expected)))
    assert [c.is_last_clip for c in clips] == [False] * (len(expected) - 1) + [True]


def test_uniform_reset_restarts_clip_index() -> None:
    sampler = UniformClipSampler(1)
    assert sampler(0.0, 10, {}).clip_index == 0
    assert sampler(Fraction(1), 10, {}).clip_index == 1
    sampler.reset()
    assert sampler(Fraction(2), 10, {}) == (Fraction(2), Fraction(3), 0, 0, False)


# ---------------------------------------------------------------------------------------------
# constant_clips_per_video


@SETTINGS
@given(
    data=st.data(),
    clip_duration=clip_durations,
    clips_per_video=st.integers(min_value=1, max_value=20),
    augs_per_clip=st.integers(min_value=1, max_value=4),
)
def test_constant_clips_per_video_matches_pytorchvideo(
    data: st.DataObject, clip_duration: Any, clips_per_video: int, augs_per_clip: int
):
    duration = data.draw(durations_for(clip_duration), label="duration")
    theirs = pv.ConstantClipsPerVideoSampler(clip_duration, clips_per_video, augs_per_clip)
    ours = ConstantClipsPerVideoSampler(clip_duration, clips_per_video, augs_per_clip)
    clips = clips_for_video(ours, duration)
    assert_same_clips(clips, drive_pytorchvideo(theirs, duration))
    assert len(clips) == clips_per_video * augs_per_clip
    assert clips_for_video(ours, duration) == clips


@FEW
@given(
    ops=st.lists(
        st.one_of(st.just(None), st.floats(min_value=0, max_value=30)), min_size=1, max_size=40
    ),
    augs_per_clip=st.integers(min_value=1, max_value=3),
)
def test_constant_state_machine_matches_pytorchvideo(ops: list, augs_per_clip: int) -> None:
    theirs = pv.ConstantClipsPerVideoSampler(Fraction(3, 2), 4, augs_per_clip)
    ours = ConstantClipsPerVideoSampler(Fraction(3, 2), 4, augs_per_clip)
    for duration in ops:
        if duration is None:
            theirs.reset()
            ours.reset()
        else:
            assert typed(tuple(ours(0.0, duration, {}))) == typed(tuple(theirs(0.0, duration, {})))


# ---------------------------------------------------------------------------------------------
# random and random_multi


def _assert_random_clip_in_bounds(start: Any, end: Any, clip_duration: Any, duration: Any):
    clip_duration = Fraction(clip_duration)
    assert isinstance(start, Fraction)
    assert end == start + clip_duration
    assert 0 <= start <= max(Fraction(duration) - clip_duration, 0) + Fraction(1, 10**9)
    assert end <= max(Fraction(duration), clip_duration) + Fraction(1, 10**9)


@SETTINGS
@given(data=st.data(), clip_duration=clip_durations, seed=st.integers(0, 2**32 - 1))
def test_random_matches_pytorchvideo_under_the_same_seed(
    data: st.DataObject, clip_duration: Any, seed: int
):
    duration = data.draw(durations_for(clip_duration), label="duration")
    random.seed(seed)
    expected = drive_pytorchvideo(pv.RandomClipSampler(clip_duration), duration)
    random.seed(seed)
    clips = clips_for_video(RandomClipSampler(clip_duration), duration)
    assert_same_clips(clips, expected)
    # An explicit random.Random with the same seed draws the same clip.
    seeded = RandomClipSampler(clip_duration, generator=random.Random(seed))
    assert clips_for_video(seeded, duration) == clips
    ((start, end, clip_index, aug_index, is_last),) = clips
    assert (clip_index, aug_index, is_last) == (0, 0, True)
    _assert_random_clip_in_bounds(start, end, clip_duration, duration)


@SETTINGS
@given(
    data=st.data(),
    clip_duration=clip_durations,
    num_clips=st.integers(min_value=1, max_value=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_multi_matches_pytorchvideo_under_the_same_seed(
    data: st.DataObject, clip_duration: Any, num_clips: int, seed: int
):
    duration = data.draw(durations_for(clip_duration), label="duration")
    random.seed(seed)
    expected = drive_pytorchvideo(pv.RandomMultiClipSampler(clip_duration, num_clips), duration)
    random.seed(seed)
    clips = clips_for_video(RandomMultiClipSampler(clip_duration, num_clips), duration)
    assert_same_clips(clips, expected)
    (info,) = clips
    assert type(info) is ClipInfoList
    assert info.clip_index == [0] * num_clips and info.is_last_clip == [True] * num_clips
    for start, end in zip(info.clip_start_sec, info.clip_end_sec, strict=True):
        _assert_random_clip_in_bounds(start, end, clip_duration, duration)
    seeded = RandomMultiClipSampler(clip_duration, num_clips, generator=random.Random(seed))
    assert clips_for_video(seeded, duration) == clips


@FEW
@given(
    data=st.data(),
    clip_duration=clip_durations,
    seed=st.integers(0, 2**63 - 1),
    multi=st.booleans(),
)
def test_torch_generator_reproduces_and_stays_in_bounds(
    data: st.DataObject, clip_duration: Any, seed: int, multi: bool
):
    duration = data.draw(durations_for(clip_duration), label="duration")

    def run() -> list:
        generator = torch.Generator().manual_seed(seed)
        if multi:
            return clips_for_video(
                RandomMultiClipSampler(clip_duration, 3, generator=generator), duration
            )
        return clips_for_video(RandomClipSampler(clip_duration, generator=generator), duration)

    clips = run()
    assert clips == run()
    for info in clips:
        starts = info.clip_start_sec if multi else [info.clip_start_sec]
        ends = info.clip_end_sec if multi else [info.clip_end_sec]
        for start, end in zip(starts, ends, strict=True):
            _assert_random_clip_in_bounds(start, end, clip_duration, duration)


def test_random_generator_is_independent_of_the_global_rng() -> None:
    sampler = RandomClipSampler(1, generator=random.Random(0))
    random.seed(1)
    first = sampler(0.0, 100, {})
    random.seed(2)
    second = sampler(0.0, 100, {})
    expected = random.Random(0)
    assert [first.clip_start_sec, second.clip_start_sec] == [
        Fraction(expected.uniform(0, Fraction(99))),
        Fraction(expected.uniform(0, Fraction(99))),
    ]


def test_torch_generator_seeds_differ() -> None:
    def start(seed: int) -> Any:
        sampler = RandomClipSampler(1, generator=torch.Generator().manual_seed(seed))
        return sampler(0.0, 100, {}).clip_start_sec

    assert start(0) == start(0)
    assert start(0) != start(1)


# ---------------------------------------------------------------------------------------------
# The factory and the registry

# PyTorchVideo-order positional arguments for every registered name.
FACTORY_ARGS: dict[str, tuple] = {
    "uniform": (Fraction(4, 3), Fraction(2, 3), True),
    "random": (1.5,),
    "constant_clips_per_video": (2.0, 5, 2),
    "random_multi": (Fraction(1, 2), 3),
}


def test_factory_args_cover_the_registry() -> None:
    assert sorted(FACTORY_ARGS) == list_clip_samplers()


@pytest.mark.parametrize("name", list_clip_samplers())
def test_make_clip_sampler_matches_pytorchvideo(name: str) -> None:
    args = FACTORY_ARGS[name]
    ours = make_clip_sampler(name, *args)
    theirs = pv.make_clip_sampler(name, *args)
    assert type(ours).__name__ == type(theirs).__name__
    for duration in (Fraction(77, 10), 0.5, 12.0):
        random.seed(7)
        expected = drive_pytorchvideo(theirs, duration)
        random.seed(7)
        assert_same_clips(clips_for_video(ours, duration), expected)


def test_make_clip_sampler_accepts_keywords() -> None:
    sampler = make_clip_sampler("uniform", clip_duration=2, stride=1, backpad_last=True)
    assert isinstance(sampler, UniformClipSampler)
    assert (sampler.clip_duration, sampler.stride, sampler.backpad_last) == (2, 1, True)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("unifrom", r"unknown clip sampler 'unifrom'; did you mean 'uniform'"),
        ("random-multi", r"did you mean 'random_multi'"),
        ("sliding_window", r"available: \['constant_clips_per_video', 'random', "),
    ],
)
def test_make_clip_sampler_unknown_name(name: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_clip_sampler(name, 2.0)


def test_make_clip_sampler_name_type() -> None:
    with pytest.raises(TypeError, match="name must be a str"):
        make_clip_sampler(3, 2.0)  # type: ignore[arg-type]


def test_register_clip_sampler() -> None:
    @register_clip_sampler("test_first_half")
    class FirstHalf(ClipSampler[ClipInfo]):
        def __call__(self, last_clip_time: Any, video_duration: Any, annotation: Any) -> ClipInfo:
            return ClipInfo(Fraction(0), Fraction(video_duration) / 2, 0, 0, True)

    try:
        assert "test_first_half" in list_clip_samplers()
        assert clips_for_video(make_clip_sampler("test_first_half", 1), 4) == [(0, 2, 0, 0, True)]
        with pytest.raises(ValueError, match="already registered to FirstHalf"):
            register_clip_sampler("test_first_half")
        with pytest.raises(TypeError, match="decorates ClipSampler subclasses"):
            register_clip_sampler("test_not_a_sampler")(int)  # type: ignore[type-var]
    finally:
        from fastvid.data.samplers import _factory

        _factory._CLIP_SAMPLERS.pop("test_first_half", None)


# ---------------------------------------------------------------------------------------------
# Validation: ValueError / TypeError instead of PyTorchVideo's asserts and late failures


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: UniformClipSampler(0), ValueError, r"clip_duration \(0\) must be > 0"),
        (lambda: UniformClipSampler(-1.5), ValueError, r"clip_duration \(-1.5\) must be > 0"),
        (
            lambda: UniformClipSampler(float("inf")),
            ValueError,
            r"clip_duration \(inf\) must be finite",
        ),
        (lambda: UniformClipSampler(float("nan")), ValueError, "must be finite"),
        (lambda: UniformClipSampler("2"), TypeError, "clip_duration must be a real number"),
        (lambda: UniformClipSampler(True), TypeError, "clip_duration must be a real number"),
        (lambda: UniformClipSampler(2, 0), ValueError, r"stride \(0\) must be > 0 and <= clip_"),
        (lambda: UniformClipSampler(2, 3), ValueError, r"<= clip_duration \(2\)"),
        (lambda: UniformClipSampler(2, -1), ValueError, r"stride \(-1\)"),
        (
            lambda: UniformClipSampler(2, backpad_last=1),
            TypeError,
            "backpad_last must be True or False",
        ),
        (lambda: UniformClipSampler(2, eps=0), ValueError, r"eps \(0\) must be > 0"),
        (lambda: RandomClipSampler(0), ValueError, "clip_duration"),
        (lambda: RandomClipSampler(1, generator=0), TypeError, "generator must be None"),
        (lambda: RandomMultiClipSampler(1, 0), ValueError, r"num_clips \(0\) must be >= 1"),
        (lambda: RandomMultiClipSampler(1, 2.0), TypeError, "num_clips must be an int"),
        (
            lambda: ConstantClipsPerVideoSampler(1, 0),
            ValueError,
            r"clips_per_video \(0\) must be >= 1",
        ),
        (
            lambda: ConstantClipsPerVideoSampler(1, 2, 0),
            ValueError,
            r"augs_per_clip \(0\) must be >= 1",
        ),
        (lambda: ConstantClipsPerVideoSampler(1, 2.5), TypeError, "clips_per_video must be an int"),
    ],
)
def test_constructor_validation(build: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        build()


@pytest.mark.parametrize(
    ("duration", "match"),
    [
        (None, "video duration is None"),
        (0, r"video duration \(0\) must be > 0"),
        (-2.5, r"video duration \(-2.5\) must be > 0"),
        (float("inf"), r"video duration \(inf\) must be finite"),
        (float("nan"), "must be finite"),
    ],
)
def test_clips_for_video_rejects_bad_durations(duration: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        clips_for_video(UniformClipSampler(1), duration)


def test_clips_for_video_guards_against_samplers_that_never_finish() -> None:
    class Endless(ClipSampler[ClipInfo]):
        def __call__(self, last_clip_time: Any, video_duration: Any, annotation: Any) -> ClipInfo:
            return ClipInfo(Fraction(0), Fraction(1), 0, 0, False)

    with pytest.raises(RuntimeError, match="drew 50 clips from a video of 3 s"):
        clips_for_video(Endless(1), 3, max_clips=50)
    with pytest.raises(ValueError, match=r"max_clips \(0\) must be >= 1"):
        clips_for_video(Endless(1), 3, max_clips=0)


def test_clips_for_video_rejects_non_samplers() -> None:
    with pytest.raises(TypeError, match="sampler must be a fastvid or PyTorchVideo ClipSampler"):
        clips_for_video("uniform", 3)


# ---------------------------------------------------------------------------------------------
# PyTorchVideo sampler objects and ClipInfo compatibility


@pytest.mark.parametrize("name", list_clip_samplers())
def test_as_clip_sampler_wraps_pytorchvideo_samplers(name: str) -> None:
    theirs = pv.make_clip_sampler(name, *FACTORY_ARGS[name])
    wrapped = as_clip_sampler(theirs)
    assert isinstance(wrapped, PyTorchVideoClipSampler) and wrapped.wrapped is theirs
    assert wrapped.clip_duration == Fraction(FACTORY_ARGS[name][0])
    duration = Fraction(61, 10)
    random.seed(3)
    clips = clips_for_video(wrapped, duration)
    random.seed(3)
    assert_same_clips(
        clips, drive_pytorchvideo(pv.make_clip_sampler(name, *FACTORY_ARGS[name]), duration)
    )
    assert all(type(c) in (ClipInfo, ClipInfoList) for c in clips)
    # clips_for_video wraps a PyTorchVideo sampler by itself, too.
    random.seed(3)
    assert clips_for_video(theirs, duration) == clips


def test_wrapped_custom_pytorchvideo_sampler_keeps_float_times() -> None:
    class Halves(pv.ClipSampler):  # no super().__init__: no _clip_duration
        def __init__(self) -> None:
            self.resets = 0

        def __call__(self, last_clip_time: Any, video_duration: Any, annotation: Any) -> Any:
            end = last_clip_time + 0.5
            return pv.ClipInfo(last_clip_time, end, 0, 0, end >= video_duration)

        def reset(self) -> None:
            self.resets += 1

    theirs = Halves()
    clips = clips_for_video(as_clip_sampler(theirs), 1.25)
    assert typed([tuple(c) for c in clips]) == typed(
        [(0.0, 0.5, 0, 0, False), (0.5, 1.0, 0, 0, False), (1.0, 1.5, 0, 0, True)]
    )
    assert theirs.resets == 1
    with pytest.raises(AttributeError, match="no _clip_duration"):
        _ = as_clip_sampler(theirs).clip_duration


def test_as_clip_sampler_passes_through_and_builds_by_name() -> None:
    sampler = UniformClipSampler(2)
    assert as_clip_sampler(sampler) is sampler
    built = as_clip_sampler("constant_clips_per_video", 2, clips_per_video=3)
    assert isinstance(built, ConstantClipsPerVideoSampler) and built.clips_per_video == 3
    with pytest.raises(ValueError, match="did you mean 'random'"):
        as_clip_sampler("randm", 2)
    with pytest.raises(TypeError, match="only accepted with a sampler name"):
        as_clip_sampler(sampler, 3)
    with pytest.raises(TypeError, match="clip sampler must be a fastvid ClipSampler"):
        as_clip_sampler(2.0)
    with pytest.raises(TypeError, match="wraps pytorchvideo"):
        PyTorchVideoClipSampler(sampler)


def test_clip_info_is_compatible_with_pytorchvideo() -> None:
    ours = ClipInfo(Fraction(1), Fraction(3), 2, 1, True)
    theirs = pv.ClipInfo(Fraction(1), Fraction(3), 2, 1, True)
    assert ours == theirs and ours._fields == theirs._fields
    start, end, clip_index, aug_index, is_last = ours
    assert (start, end, clip_index, aug_index, is_last) == tuple(theirs)
    assert ClipInfoList._fields == pv.ClipInfoList._fields


@pytest.mark.parametrize(
    "sampler",
    [
        UniformClipSampler(Fraction(3, 2), 1.0, True),
        ConstantClipsPerVideoSampler(1, 4, 2),
        RandomClipSampler(1, generator=random.Random(5)),
        RandomMultiClipSampler(1, 2, generator=random.Random(5)),
    ],
    ids=repr,
)
def test_samplers_pickle_for_dataloader_workers(sampler: ClipSampler[Any]) -> None:
    sampler(0.0, 10, {})  # mid-video state travels too
    copy = pickle.loads(pickle.dumps(sampler))
    assert repr(copy) == repr(sampler)
    assert copy(Fraction(1), 10, {}) == sampler(Fraction(1), 10, {})
