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

The harness is ``fuzz.py``; the files the fuzzer found bugs with are regression tests in
``test_fuzz_regressions.py``. One loader reads all mutants of a run (``cpu_decoder="dali"``:
VP9 goes through DALI's CPU decoder, H.264 through PyAV). The default suite runs a reduced set;
``pytest -m slow tests/reliability/test_fuzz.py -s`` runs >= 1,000 mutants and prints the
tally.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.fuzz import probe_checked, run_fuzz
from tests.reliability.mutate import mutate


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
