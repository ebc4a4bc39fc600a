"""No DALI pipeline or worker pool outlives its loader into a forked child (issue 15).

After a fastvid epoch, forking (a torch ``DataLoader``'s workers, a ``multiprocessing.Pool``)
used to hang for ever: the child's garbage collector ran a leftover DALI pipeline's destructor,
which waits for threads that do not exist in a forked child. The scenario runs in a subprocess
bounded by a timeout; ``break`` mode turns fastvid's child-side disarming off and must hang,
which proves the scenario reaches the destructor.
"""

from __future__ import annotations

import glob
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO = Path(__file__).with_name("fork_scenario.py")
TIMEOUT_S = 90


def run_scenario(root: Path, mode: str, *extra: str, timeout: float = TIMEOUT_S) -> tuple[int, str]:
    process = subprocess.Popen(
        [sys.executable, str(SCENARIO), str(root), mode, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        import os
        import signal

        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return -1, "timed out"
    return process.pid, output


@pytest.mark.timeout(TIMEOUT_S + 30)
@pytest.mark.parametrize("mode", ["epoch", "abandoned"])
def test_forked_children_after_an_epoch_do_not_hang(tmp_path: Path, mode: str) -> None:
    pid, output = run_scenario(tmp_path, mode)
    assert pid != -1, f"forking after a fastvid {mode} hung for {TIMEOUT_S} s"
    assert "OK batches=" in output, output[-3000:]
    # at interpreter exit the loader's workers and shared memory are gone too
    assert glob.glob(f"/dev/shm/fastvid-{pid}-*") == []


@pytest.mark.timeout(120)
def test_the_scenario_hangs_without_the_child_side_disarming(tmp_path: Path) -> None:
    pid, _ = run_scenario(tmp_path, "epoch", "break", timeout=25)
    assert pid == -1, "without disarming, the child should block in DALI's destructor"
