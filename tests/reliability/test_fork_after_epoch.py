"""No DALI pipeline or worker pool outlives its loader into a forked child (issue 15).

After a fastvid epoch, forking (a torch ``DataLoader``'s workers, a ``multiprocessing.Pool``)
used to hang for ever: the child's garbage collector ran a leftover DALI pipeline's destructor,
which waits for threads that do not exist in a forked child. The scenario runs in a subprocess
bounded by a timeout; ``break`` mode turns fastvid's child-side disarming off and must hang,
which proves the scenario reaches the destructor.
"""

from __future__ import annotations

import glob
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCENARIO = Path(__file__).with_name("fork_scenario.py")
TIMEOUT_S = 90


FORKING = "FORKING"  # what the scenario prints just before it forks
FORKED_PHASE_S = 8  # a forked phase that returns takes 1-3 s; one that hangs never returns


def run_scenario(
    root: Path, mode: str, *extra: str, forked_timeout: float | None = None
) -> tuple[int, str]:
    """Run the scenario; ``(pid, output)``, or ``(-1, output so far)`` when it hung: for
    :data:`TIMEOUT_S` in all, or ``forked_timeout`` seconds after it printed ``FORKING``."""
    log = root / "scenario.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(SCENARIO), str(root), mode, *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        started, forked = time.monotonic(), None
        while process.poll() is None:
            now = time.monotonic()
            if forked is None and FORKING in log.read_text():
                forked = now
            hung_forked = (
                forked is not None and forked_timeout is not None and now - forked > forked_timeout
            )
            if now - started > TIMEOUT_S or hung_forked:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return -1, log.read_text()
            time.sleep(0.1)
    return process.pid, log.read_text()


@pytest.mark.timeout(TIMEOUT_S + 30)
@pytest.mark.parametrize("mode", ["epoch", "abandoned"])
def test_forked_children_after_an_epoch_do_not_hang(tmp_path: Path, mode: str) -> None:
    pid, output = run_scenario(tmp_path, mode)
    assert pid != -1, f"forking after a fastvid {mode} hung for {TIMEOUT_S} s"
    assert "OK batches=" in output, output[-3000:]
    # the bound the next test waits after the forks holds a phase that does not hang
    forked_phase = float(re.search(r"forked-phase=([0-9.]+)s", output).group(1))  # type: ignore[union-attr]
    assert forked_phase < FORKED_PHASE_S, output[-3000:]
    # at interpreter exit the loader's workers and shared memory are gone too
    assert glob.glob(f"/dev/shm/fastvid-{pid}-*") == []


@pytest.mark.timeout(120)
def test_the_scenario_hangs_without_the_child_side_disarming(tmp_path: Path) -> None:
    pid, output = run_scenario(tmp_path, "epoch", "break", forked_timeout=FORKED_PHASE_S)
    assert FORKING in output, f"the scenario did not reach its forks: {output[-3000:]}"
    assert pid == -1, "without disarming, the child should block in DALI's destructor"
