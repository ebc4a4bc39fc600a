"""Persistent worker processes that prepare clips: start, feed, watch, stop.

:class:`WorkerPool` starts ``num_workers`` processes (``spawn``: safe beside CUDA and DALI's
threads, and without re-running the user's script), each with a duplex pipe. The loader sends a
worker a :class:`~fastvid.reader.workers.tasks.Task`, later tells it which shared-memory segments
are free again, and reads :class:`~fastvid.reader.workers.tasks.TaskResult` s back. Waiting uses
``multiprocessing.connection.wait`` on the pipes *and* the processes' sentinels, so a worker that
dies (the out-of-memory killer, say) is noticed at once, and a task that runs longer than
``task_timeout`` seconds (a file that sends FFmpeg into a loop) gets its worker killed and replaced
and its clips reported as failed, instead of hanging the epoch.

The pool lives as long as its loader (workers persist across epochs). In a forked child
(a ``DataLoader`` worker forked after a fastvid epoch), the pool is disowned: the child never
stops, joins or messages its parent's workers.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait

from fastvid.data.storage import Storage
from fastvid.reader.errors import WorkerDiedError, WorkerTaskError
from fastvid.reader.workers.shm import new_prefix, remove_segments
from fastvid.reader.workers.tasks import ClipOutput, Task, TaskResult

__all__ = ["WorkerPool"]

_live: weakref.WeakSet[WorkerPool] = weakref.WeakSet()
_live_lock = threading.Lock()


class _Worker:
    def __init__(
        self, worker_id: int, prefix: str, threads: int, storage: Storage | None = None
    ) -> None:
        from fastvid.reader.workers.worker import worker_main

        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe(duplex=True)
        self.worker_id = worker_id
        self.conn: Connection = parent
        self.process = context.Process(
            target=worker_main,
            args=(child, worker_id, prefix, threads, storage),
            name=f"fastvid-worker-{worker_id}",
            daemon=True,
        )
        with _main_module_hidden():
            self.process.start()
        child.close()
        self.inflight: dict[int, Task] = {}
        self.busy_since: float | None = None  # when its oldest in-flight task was sent

    def ask_to_stop(self) -> None:
        """Tell the process to leave its loop (it exits on its own; :meth:`stop` waits)."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)

    def stop(self, timeout: float = 2.0) -> None:
        self.ask_to_stop()
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(timeout)
        with contextlib.suppress(OSError):
            self.conn.close()
        with contextlib.suppress(ValueError):
            self.process.close()


class WorkerPool:
    """Worker processes preparing clips for one loader.

    Args:
        num_workers: Processes to start.
        threads: FFmpeg decoder threads per worker.
        task_timeout: Seconds a worker may spend on one task before it is replaced and the
            task's clips fail. ``None``: no limit. Default: 600.
        storage: How the workers read URLs (picklable: sent to each spawned worker).
            Default: ``None``, local defaults.
    """

    def __init__(
        self,
        num_workers: int,
        *,
        threads: int,
        task_timeout: float | None = 600.0,
        storage: Storage | None = None,
    ):
        if num_workers < 1:
            raise ValueError(f"num_workers ({num_workers}) must be >= 1")
        self.threads = threads
        self.task_timeout = task_timeout
        self.storage = storage
        self.prefix = new_prefix()
        self._owner_pid = os.getpid()
        self._workers = [_Worker(i, self.prefix, threads, storage) for i in range(num_workers)]
        self._timed_out: list[TaskResult] = []
        with _live_lock:
            _live.add(self)

    @property
    def num_workers(self) -> int:
        return len(self._workers)

    def pids(self) -> list[int]:
        """Process ids of the workers."""
        return [int(w.process.pid) for w in self._workers if w.process.pid is not None]

    def inflight(self, worker: int) -> int:
        """Tasks sent to ``worker`` and not answered yet."""
        return len(self._workers[worker].inflight)

    def submit(self, worker: int, task: Task) -> None:
        """Send ``task`` to ``worker``."""
        w = self._workers[worker]
        try:
            w.conn.send(("task", task))
        except OSError:  # the worker is gone: say how it ended
            w.process.join(2.0)
            self._raise_if_dead()
            raise
        if not w.inflight:
            w.busy_since = time.monotonic()
        w.inflight[task.task_id] = task

    def free(self, worker: int, segment: str) -> None:
        """Tell ``worker`` that the loader is done with ``segment``."""
        if os.getpid() != self._owner_pid or worker >= len(self._workers):
            return  # a forked child, or a closed pool: nothing of ours to free
        with contextlib.suppress(OSError, ValueError):
            self._workers[worker].conn.send(("free", segment))

    def results(self, timeout: float) -> Iterator[tuple[int, TaskResult]]:
        """``(worker, result)`` for every answer that arrives within ``timeout`` seconds.

        Raises:
            WorkerDiedError: If a worker process exited.
            WorkerTaskError: If a task raised an error that is not a decoding error.
        """
        while self._timed_out:
            yield -1, self._timed_out.pop()
        by_conn = {w.conn: i for i, w in enumerate(self._workers)}
        by_sentinel = {w.process.sentinel: i for i, w in enumerate(self._workers)}
        ready = wait([*by_conn, *by_sentinel], timeout=self._wait_time(timeout))
        for item in ready:
            if item in by_sentinel:  # the process is exiting: let it finish so it reports how
                self._workers[by_sentinel[item]].process.join(1.0)
            if item in by_conn:
                worker = by_conn[item]
                w = self._workers[worker]
                while w.conn.poll():
                    try:
                        result: TaskResult = w.conn.recv()
                    except (EOFError, OSError):
                        break
                    task = w.inflight.pop(result.task_id, None) if result.final else None
                    if result.crash:
                        path = task.video.path if task is not None else "an unknown video"
                        raise WorkerTaskError(path, result.crash)
                    w.busy_since = time.monotonic() if w.inflight else None
                    yield worker, result
        self._raise_if_dead()
        self._check_timeouts()

    def _raise_if_dead(self) -> None:
        dead = [(w.process.pid or -1, w.process.exitcode) for w in self._workers]
        dead_now = [(pid, int(code)) for pid, code in dead if code is not None]
        if dead_now:
            raise WorkerDiedError(dead_now)

    def _wait_time(self, timeout: float) -> float:
        if self.task_timeout is None:
            return timeout
        return max(0.0, min(timeout, 1.0))

    def _check_timeouts(self) -> None:
        if self.task_timeout is None:
            return
        now = time.monotonic()
        for i, w in enumerate(self._workers):
            if w.busy_since is None or now - w.busy_since <= self.task_timeout:
                continue
            # the worker's oldest task hangs: replace the worker, fail what it held
            stuck = list(w.inflight.values())
            w.process.kill()
            w.stop(timeout=1.0)
            self._workers[i] = _Worker(i, self.prefix, self.threads, self.storage)
            reason = (
                f"preparing this clip took more than {self.task_timeout:g} s (task_timeout); "
                "the worker was restarted. The file may send FFmpeg into a loop: re-encode it"
            )
            for task in stuck:
                clips = tuple(
                    ClipOutput(job.slot, error=reason, kind="timeout") for job in task.clips
                )
                self._timed_out.append(TaskResult(task.task_id, None, clips))

    def close(self) -> None:
        """Stop the workers and delete their shared memory (a no-op in a forked child)."""
        with _live_lock:
            _live.discard(self)
        if os.getpid() != self._owner_pid:
            return
        for w in self._workers:  # all at once: each one's interpreter shutdown overlaps
            w.ask_to_stop()
        for w in self._workers:
            w.stop()
        self._workers = []
        remove_segments(self.prefix)
        multiprocessing.active_children()  # reap

    def _disown(self) -> None:
        self._owner_pid = -1
        self._workers = []


def _disown_in_child() -> None:
    for pool in list(_live):
        pool._disown()
    _live.clear()


def _close_all() -> None:
    for pool in list(_live):
        with contextlib.suppress(Exception):
            pool.close()


os.register_at_fork(after_in_child=_disown_in_child)
atexit.register(_close_all)


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start spawned workers without re-running the user's script in each of them.

    ``multiprocessing``'s spawn re-imports ``__main__`` in every child, which re-runs a script
    that has no ``if __name__ == "__main__":`` guard (Flash's own examples have none). The worker
    lives in fastvid's modules, so the children do not need ``__main__``: hide its file and spec
    while they start.
    """
    main = sys.modules.get("__main__")
    saved = {name: getattr(main, name) for name in ("__file__", "__spec__") if hasattr(main, name)}
    if "__file__" in saved:
        delattr(main, "__file__")
    if "__spec__" in saved:
        main.__spec__ = None  # type: ignore[union-attr]
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(main, name, value)
