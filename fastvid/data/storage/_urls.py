"""URL helpers: local or remote, normal form, joining, and hiding credentials in messages.

A *URL* here is anything fsspec opens: a plain path (``videos/a.mp4``), ``file://``,
``s3://``, ``gs://``, ``http(s)://``, ... and chained URLs such as
``tar://member.mp4::s3://bucket/shard.tar``. Plain paths and ``file://`` URLs are *local*: they
become absolute paths and keep fastvid's fast path (``os.stat``, ``av.open(path)``).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "basename",
    "is_remote",
    "join",
    "normalize",
    "parent",
    "protocol",
    "redact",
    "redact_options",
]

_PROTOCOL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_LOCAL_PROTOCOLS = frozenset({"file", "local"})
# user:password@ (or a lone user@, or a token) in the authority part of a URL
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s:]*(?::[^/@\s]*)?@")
# query parameters that carry secrets (pre-signed URLs, SAS tokens, API keys)
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig|"
    r"token|access_token|key|apikey|api_key|password)=)[^&#\s'\"]*",
    re.IGNORECASE,
)
_SECRET_KEYS = re.compile(
    r"secret|password|passwd|token|credential|key|auth|signature|session", re.IGNORECASE
)
_HIDDEN = "***"


def protocol(url: str) -> str:
    """The protocol of ``url``'s outermost layer: ``"s3"``, ``"http"``, ``"file"`` (plain paths),
    ``"tar"`` for ``tar://m.mp4::s3://b/s.tar``."""
    match = _PROTOCOL.match(url)
    return match.group(1).lower() if match else "file"


def is_remote(url: str | os.PathLike[str]) -> bool:
    """Whether ``url`` goes through fsspec (any protocol but ``file``; chained URLs too)."""
    text = os.fspath(url)
    return "::" in text or protocol(text) not in _LOCAL_PROTOCOLS


def normalize(url: str | os.PathLike[str]) -> str:
    """The form the index and the loader key videos by.

    Plain paths and ``file://`` URLs become absolute local paths; other URLs are returned as
    given (no trailing-slash or case changes: object keys are case-sensitive).
    """
    text = os.fspath(url)
    if is_remote(text):
        return text
    if _PROTOCOL.match(text):  # file://... or local://...
        text = text.split("://", 1)[1]
    return os.path.abspath(os.path.expanduser(text))


def join(base: str, *parts: str) -> str:
    """``base`` joined with relative ``parts`` (a part that is itself a URL or an absolute
    local path replaces what came before it, like :func:`os.path.join`)."""
    result = base
    for part in parts:
        if is_remote(part) or _PROTOCOL.match(part) or os.path.isabs(part):
            result = normalize(part)
        elif is_remote(result):
            inner, sep, rest = result.partition("::")
            result = posixpath.join(inner.rstrip("/") + "/", part) + sep + rest
        else:
            result = os.path.normpath(os.path.join(result, os.path.expanduser(part)))
    return result


def parent(url: str) -> str:
    """The folder that holds ``url``."""
    if not is_remote(url):
        return os.path.dirname(normalize(url))
    inner, sep, rest = url.partition("::")
    scheme, _, path = inner.rpartition("://")
    head = posixpath.dirname(path.rstrip("/"))
    return (f"{scheme}://" if scheme else "") + head + sep + rest


def basename(url: str) -> str:
    """The last path component of ``url``'s outermost layer."""
    inner = url.partition("::")[0]
    return posixpath.basename(inner.rstrip("/")) if is_remote(url) else os.path.basename(inner)


def redact(text: str) -> str:
    """``text`` with credentials in URLs hidden: ``user:pass@`` and secret query parameters."""
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{_HIDDEN}@", text)
    return _SECRET_QUERY.sub(lambda m: f"{m.group('key')}{_HIDDEN}", text)


def redact_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``storage_options`` safe to print: values of secret-looking keys hidden,
    nested dictionaries (``client_kwargs``, per-protocol options) too."""
    if not options:
        return {}
    safe: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, Mapping):
            safe[key] = redact_options(value)
        elif _SECRET_KEYS.search(str(key)) and value is not None:
            safe[key] = _HIDDEN
        elif isinstance(value, str):
            safe[key] = redact(value)
        else:
            safe[key] = value
    return safe
