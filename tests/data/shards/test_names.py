"""Brace patterns to shard URLs; sizes to bytes."""

from __future__ import annotations

import pytest

from fastvid.data.shards import brace_pattern, expand_urls, parse_size


def test_brace_ranges_keep_zero_padding_and_lists_expand_in_order() -> None:
    assert expand_urls("s3://b/train-{000000..000002}.tar") == [
        "s3://b/train-000000.tar",
        "s3://b/train-000001.tar",
        "s3://b/train-000002.tar",
    ]
    assert expand_urls(["a-{0..1}.tar", "b-{x,y}.tar"]) == [
        "a-0.tar",
        "a-1.tar",
        "b-x.tar",
        "b-y.tar",
    ]
    # fsspec's chained URLs keep their "::" (WebDataset would split there)
    assert expand_urls("simplecache::s3://b/t-{0..1}.tar") == [
        "simplecache::s3://b/t-0.tar",
        "simplecache::s3://b/t-1.tar",
    ]


def test_brace_pattern_round_trips_through_expansion() -> None:
    pattern = brace_pattern("/d/shard", 0, 12)
    assert pattern == "/d/shard-{000000..000012}.tar"
    assert expand_urls(pattern)[-1] == "/d/shard-000012.tar" and len(expand_urls(pattern)) == 13
    assert brace_pattern("/d/shard", 0, 0) == "/d/shard-000000.tar"


def test_bad_url_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="no shard URLs"):
        expand_urls([])
    with pytest.raises(ValueError, match=r"more than once: \['a-1.tar'\]"):
        expand_urls(["a-{0..1}.tar", "a-1.tar"])


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1GB", 10**9), ("512MiB", 512 * 2**20), ("1.5 kb", 1500), (2048, 2048), ("10", 10)],
)
def test_sizes(given: object, expected: int) -> None:
    assert parse_size(given) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("given", ["1 GX", "GB", "-1MB", 0])
def test_bad_sizes_name_the_option(given: object) -> None:
    with pytest.raises(ValueError, match="max_size"):
        parse_size(given)  # type: ignore[arg-type]
