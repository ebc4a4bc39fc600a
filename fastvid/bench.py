"""``fastvid bench``: run the benchmark suite that ships in the source tree (``benchmarks/``).

(``fastvid bench PATH``, on your own videos, is :mod:`fastvid.benchmark`: it needs no source
tree.)

The suite compares fastvid with PyTorchVideo/PyAV, torchcodec, decord and a decode-only
ceiling on generated videos; see ``benchmarks/README.md``. It is not part of the installed
package, so this wrapper finds it next to the ``fastvid`` package of a source checkout
(``pip install -e .``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["run_benchmarks", "source_root"]


def source_root() -> Path:
    """The source checkout that holds ``benchmarks/``.

    Raises:
        FileNotFoundError: If fastvid was installed without its source tree.
    """
    root = Path(__file__).resolve().parents[1]
    if not (root / "benchmarks" / "run.py").is_file():
        raise FileNotFoundError(
            "the benchmark suite runs from a source checkout of fastvid, and this fastvid is "
            f"installed without one ({root / 'benchmarks'} does not exist). To benchmark your "
            "own videos, run `fastvid bench PATH` (PATH: a folder of videos or a list file; "
            "`fastvid bench PATH --help`). For the suite, clone the fastvid repository "
            "(`git clone <fastvid repository URL> fastvid && cd fastvid`) and run "
            "`make bench` there (it installs the bench extra, then runs `fastvid bench`)"
        )
    return root


def run_benchmarks(argv: Sequence[str] | None = None) -> int:
    """Run ``benchmarks.run`` with command-line arguments ``argv``.

    Args:
        argv: Arguments as on the command line, e.g. ``["--quick"]``; ``None`` reads
            ``sys.argv[1:]``. ``["--help"]`` lists them. Default: ``None``.

    Returns:
        The exit status (0 on success, also when some loader rows failed or were skipped:
        the report says which and why).

    Raises:
        FileNotFoundError: If fastvid was installed without its source tree.
    """
    root = str(source_root())
    if root not in sys.path:
        sys.path.insert(0, root)
    from benchmarks.run import main

    return main(list(argv) if argv is not None else None)
