"""Bounded retries with exponential backoff, and which errors are worth retrying.

A remote read can fail for a moment (a 5xx answer, a dropped connection, a read that timed
out) or for good (the object was deleted, access is denied). Transient errors are retried a
bounded number of times with jittered exponential backoff; then, or at once for a permanent
error, :class:`RemoteReadError` (an ``OSError``) names the URL (credentials hidden) and the
cause. Nothing waits forever: every request runs under the client's timeouts
(:func:`fastvid.data.storage._fs.filesystem` sets them unless ``storage_options`` does).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from fastvid.data.storage._urls import redact

__all__ = ["RemoteReadError", "is_transient", "with_retries"]

T = TypeVar("T")

_PERMANENT = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)
_TRANSIENT_STATUS = frozenset({408, 425, 429})
_TRANSIENT_MODULES = frozenset({"aiohttp", "botocore", "aiobotocore", "urllib3", "requests"})


class RemoteReadError(OSError):
    """A remote object could not be read, after retries for transient errors.

    Attributes:
        url: The object (credentials hidden).
        reason: What went wrong, in words.
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = redact(url)
        self.reason = redact(reason)
        super().__init__(f"cannot read {self.url}: {self.reason}")

    def __reduce__(self) -> tuple[type[RemoteReadError], tuple[str, str]]:
        return type(self), (self.url, self.reason)


def is_transient(error: BaseException) -> bool:
    """Whether retrying might help: 5xx/408/429 answers, dropped connections, timeouts."""
    if isinstance(error, _PERMANENT):
        return False
    status = getattr(error, "status", None) or getattr(error, "status_code", None)
    if isinstance(status, int):
        return status >= 500 or status in _TRANSIENT_STATUS
    if isinstance(error, OSError | TimeoutError | ConnectionError | EOFError):
        return True
    return type(error).__module__.split(".")[0] in _TRANSIENT_MODULES


def with_retries(
    action: Callable[[], T],
    url: str,
    *,
    attempts: int,
    backoff: float,
    what: str = "read",
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``action``, retrying transient errors up to ``attempts`` tries in all.

    Args:
        action: The request.
        url: What it reads (named in the error, credentials hidden).
        attempts: Tries in all (>= 1).
        backoff: Seconds before the second try; doubled after each failure, with jitter,
            capped at 10 s.
        what: The operation, for the message (``"read"``, ``"stat"``, ``"list"``).
        sleep: Waits between tries (tests pass a recorder).

    Returns:
        What ``action`` returns.

    Raises:
        FileNotFoundError: The object does not exist (not retried), naming the URL.
        PermissionError: Access denied (not retried), naming the URL.
        RemoteReadError: Any other failure, after the retries for transient ones.
    """
    delay = backoff
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except Exception as error:
            if isinstance(error, FileNotFoundError):
                raise FileNotFoundError(
                    f"{redact(url)} does not exist (deleted or moved?)"
                ) from None
            if isinstance(error, PermissionError):
                raise PermissionError(
                    f"access to {redact(url)} denied ({redact(str(error))}); check the "
                    f"credentials in storage_options"
                ) from None
            if not is_transient(error) or attempt == attempts:
                tries = f" after {attempt} tries" if attempt > 1 else ""
                raise RemoteReadError(
                    url, f"{what} failed{tries} ({type(error).__name__}: {error})"
                ) from None
        sleep(min(10.0, delay) * (0.5 + random.random() / 2))
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
