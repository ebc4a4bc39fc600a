"""Real object-store and HTTP servers on loopback, for tests and ``fastvid bench --remote``.

* :class:`RangeHTTPServer`: an aiohttp app serving a folder with ``Range`` (RFC 7233),
  ``ETag``, HTML folder listings, optional basic auth, and faults on demand: 5xx answers,
  connections dropped mid-body, slow answers. Counts the body bytes it sends.
* :class:`S3Server`: moto's ``ThreadedMotoServer`` (an S3 API on loopback) with the same
  byte counter and 5xx faults, and helpers to upload a folder. Needs ``moto[server]``.

Neither mocks fsspec: s3fs, aiohttp and fsspec talk to them over TCP as to the real thing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["RangeHTTPServer", "S3Server"]


class _Faults:
    """Faults to inject into the next data requests (GETs), and what was served."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fail = 0
        self.fail_status = 503
        self.drop = 0
        self.delay = 0.0
        self.bytes_sent = 0
        self.gets = 0
        self.epoch = 0  # bumped by reset_counts: answers to older requests are not counted

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` GETs with ``status``."""
        with self.lock:
            self.fail, self.fail_status = count, status

    def drop_next(self, count: int) -> None:
        """Cut the connection half-way through the body of the next ``count`` GETs."""
        with self.lock:
            self.drop = count

    def slow(self, seconds: float) -> None:
        """Wait ``seconds`` before answering each GET (0: answer at once)."""
        with self.lock:
            self.delay = seconds

    def reset_counts(self) -> None:
        """Zero the counters; requests already under way are not counted any more."""
        with self.lock:
            self.bytes_sent = 0
            self.gets = 0
            self.epoch += 1

    def take(self, kind: str) -> bool:
        with self.lock:
            left = getattr(self, kind)
            if left > 0:
                setattr(self, kind, left - 1)
                return True
            return False

    def count(self, nbytes: int, epoch: int) -> None:
        with self.lock:
            if epoch == self.epoch:
                self.bytes_sent += nbytes


class RangeHTTPServer(_Faults):
    """Serves ``root`` over HTTP on 127.0.0.1 with Range support, in a background thread.

    Args:
        root: The folder served at ``/``.
        auth: ``(user, password)`` required as HTTP basic auth, or ``None``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, root: str | os.PathLike[str], *, auth: tuple[str, str] | None = None):
        super().__init__()
        self.root = Path(root).resolve()
        self.auth = auth
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: Any = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RangeHTTPServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def serve() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._start_site())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="range-http", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the test HTTP server did not start within 10 s")
        return self

    async def _start_site(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
        try:
            future.result(5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(5)
            self._loop.close()
            self._loop = None

    def __enter__(self) -> RangeHTTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _handle(self, request: Any) -> Any:
        from aiohttp import hdrs, web

        if self.auth is not None:
            token = base64.b64encode(":".join(self.auth).encode()).decode()
            if request.headers.get(hdrs.AUTHORIZATION, "") != f"Basic {token}":
                return web.Response(status=401, headers={"WWW-Authenticate": "Basic"})
        path = (self.root / request.match_info["tail"]).resolve()
        if self.root not in (path, *path.parents):
            return web.Response(status=403)
        if path.is_dir():
            return self._listing(path, request.path)
        if not path.is_file():
            return web.Response(status=404)
        data_request = request.method == "GET"
        epoch = self.epoch
        if data_request:
            with self.lock:
                self.gets += 1
            if self.delay:
                await asyncio.sleep(self.delay)
                if request.transport is None or request.transport.is_closing():
                    return web.Response(status=499)  # the client gave up: send nothing
            if self.take("fail"):
                return web.Response(status=self.fail_status, text="injected failure")
        stat = path.stat()
        size = stat.st_size
        etag = '"' + hashlib.sha1(f"{stat.st_mtime_ns}-{size}".encode()).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Accept-Ranges": "bytes", "Content-Type": "video/mp4"}
        start, end = 0, size
        status = 200
        wanted = request.headers.get(hdrs.RANGE)
        if wanted:
            parsed = _parse_range(wanted, size)
            if parsed is None:
                return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
            start, end = parsed
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        headers["Content-Length"] = str(end - start)
        if not data_request:
            return web.Response(status=status, headers=headers)
        with open(path, "rb") as handle:
            handle.seek(start)
            body = handle.read(end - start)
        response = web.StreamResponse(status=status, headers=headers)
        await response.prepare(request)
        if self.take("drop"):
            half = body[: len(body) // 2]
            await response.write(half)
            self.count(len(half), epoch)
            request.transport.close()
            return response
        await response.write(body)
        self.count(len(body), epoch)
        await response.write_eof()
        return response

    def _listing(self, folder: Path, url_path: str) -> Any:
        from aiohttp import web

        base = url_path if url_path.endswith("/") else url_path + "/"
        links = []
        for entry in sorted(folder.iterdir()):
            name = entry.name + ("/" if entry.is_dir() else "")
            links.append(f'<a href="{base}{name}">{name}</a>')
        return web.Response(text="<html><body>" + "\n".join(links) + "</body></html>",
                            content_type="text/html")  # fmt: skip


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``[start, end)`` of a single-range ``bytes=`` header, or ``None`` if unsatisfiable."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None
    first, _, last = spec.strip().partition("-")
    if not first:  # bytes=-N: the last N bytes
        length = int(last)
        return (max(0, size - length), size) if length > 0 else None
    start = int(first)
    end = size if not last else min(size, int(last) + 1)
    return (start, end) if start < size and start < end else None


class S3Server(_Faults):
    """moto's S3 on 127.0.0.1 (a free port), with a byte counter and 5xx faults on GETs.

    ``storage_options`` is what s3fs needs to talk to it (dummy credentials and the
    ``endpoint_url``).
    """

    def __init__(self) -> None:
        super().__init__()
        self._server: Any = None
        self.endpoint_url = ""

    def start(self) -> S3Server:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        wsgi = self._server._server  # werkzeug's server: count and fault in front of moto's app
        wsgi.app = _WsgiFaults(wsgi.app, self)
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def storage_options(self) -> dict[str, Any]:
        return {
            "key": "testing",
            "secret": "testing",
            "client_kwargs": {"endpoint_url": self.endpoint_url, "region_name": "us-east-1"},
        }

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def upload(self, root: str | os.PathLike[str], bucket: str, prefix: str = "") -> str:
        """Upload every file below ``root`` to ``s3://bucket/prefix/...``; returns that URL."""
        client = self.client()
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            client.create_bucket(Bucket=bucket)
        base = Path(root)
        for file in sorted(p for p in base.rglob("*") if p.is_file()):
            key = "/".join(filter(None, [prefix.strip("/"), *file.relative_to(base).parts]))
            client.upload_file(str(file), bucket, key)
        return f"s3://{bucket}/{prefix.strip('/')}".rstrip("/")


class _WsgiFaults:
    """WSGI middleware: injected 5xx for GETs of objects, and a count of body bytes sent."""

    def __init__(self, app: Callable[..., Any], faults: _Faults) -> None:
        self.app = app
        self.faults = faults

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        is_get = environ.get("REQUEST_METHOD") == "GET" and "list-type" not in environ.get(
            "QUERY_STRING", ""
        )
        epoch = self.faults.epoch
        if is_get:
            with self.faults.lock:
                self.faults.gets += 1
            if self.faults.take("fail"):
                status = f"{self.faults.fail_status} Injected"
                start_response(status, [("Content-Type", "text/plain")])
                return [b"injected failure"]
        body: Iterable[bytes] = self.app(environ, start_response)
        if not is_get:
            return body
        chunks = list(body)
        self.faults.count(sum(len(chunk) for chunk in chunks), epoch)
        return chunks
