"""The head-and-tail fingerprint: which changes it sees, and what it never returns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fastvid.data.index._fingerprint import HEAD_TAIL_BYTES, head_tail_fingerprint


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_it_sees_the_head_and_the_tail_not_the_middle(tmp_path: Path) -> None:
    data = np.random.default_rng(0).bytes(5 * HEAD_TAIL_BYTES)
    base = head_tail_fingerprint(str(_write(tmp_path / "a.bin", data)))
    assert base == head_tail_fingerprint(str(_write(tmp_path / "copy.bin", data)))
    assert base != 0 and -(2**63) <= base < 2**63  # an int64 for the index's table
    positions = {  # byte -> whether changing it changes the fingerprint
        0: True,
        HEAD_TAIL_BYTES - 1: True,
        len(data) - HEAD_TAIL_BYTES: True,
        len(data) - 1: True,
        2 * HEAD_TAIL_BYTES: False,  # the middle: not read
    }
    for position, seen in positions.items():
        changed = bytearray(data)
        changed[position] ^= 0xFF
        value = head_tail_fingerprint(str(_write(tmp_path / "b.bin", bytes(changed))))
        assert (value != base) == seen, position


@pytest.mark.parametrize("size", [0, 1, HEAD_TAIL_BYTES, HEAD_TAIL_BYTES + 1])
def test_small_files_are_hashed_whole_and_sizes_differ(tmp_path: Path, size: int) -> None:
    data = bytes(size)
    value = head_tail_fingerprint(str(_write(tmp_path / "z.bin", data)))
    longer = head_tail_fingerprint(str(_write(tmp_path / "z1.bin", data + b"\0")))
    assert value != 0 and value != longer  # the size is part of the hash


def test_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        head_tail_fingerprint(str(tmp_path / "gone.bin"))
