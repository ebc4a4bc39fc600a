"""Which errors are retried, how often, with what backoff, and what the final error says."""

from __future__ import annotations

import pytest

from fastvid.data.storage import RemoteReadError, is_transient, parse_size
from fastvid.data.storage._retry import with_retries


class Status(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def test_transient_and_permanent_errors() -> None:
    assert is_transient(Status(503)) and is_transient(Status(429)) and is_transient(Status(500))
    assert not is_transient(Status(403)) and not is_transient(Status(404))
    assert is_transient(ConnectionResetError()) and is_transient(TimeoutError())
    assert not is_transient(FileNotFoundError()) and not is_transient(PermissionError())
    assert not is_transient(ValueError("a bug"))


def test_retries_back_off_then_succeed_or_name_the_url() -> None:
    waits: list[float] = []
    answers = iter([Status(503), ConnectionResetError(), b"data"])

    def flaky() -> bytes:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert with_retries(flaky, "s3://b/k", attempts=4, backoff=1.0, sleep=waits.append) == b"data"
    assert len(waits) == 2 and 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0

    def down() -> bytes:
        raise Status(502)

    with pytest.raises(RemoteReadError, match=r"https://\*\*\*@h/k.*after 3 tries.*HTTP 502"):
        with_retries(down, "https://u:pw@h/k", attempts=3, backoff=0.0, sleep=waits.append)

    def gone() -> bytes:
        raise FileNotFoundError("404")

    calls = len(waits)
    with pytest.raises(FileNotFoundError, match=r"s3://b/k does not exist"):
        with_retries(gone, "s3://b/k", attempts=5, backoff=0.0, sleep=waits.append)
    assert len(waits) == calls  # not retried


def test_parse_size() -> None:
    assert parse_size("20GB") == 20 * 10**9 and parse_size("512MiB") == 512 << 20
    assert parse_size(1e6) == 10**6
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")
    with pytest.raises(ValueError, match="must be > 0"):
        parse_size(0)
