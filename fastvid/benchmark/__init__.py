"""``fastvid bench PATH``: fastvid against PyTorchVideo, torchcodec, decord and SPDL on a sample
of your own videos, the same clips for every loader, in one run (``bench.md``, ``bench.json``,
``bench.png``). Everything it needs ships in the installed package.

* :mod:`fastvid.benchmark.loaders`: the clip config, the planned workload, the timing harness,
  one row per loader, the frame check (the source tree's suite, ``benchmarks/``, uses them too);
* :mod:`fastvid.benchmark.report`: machine info and the reports (this command's and the suite's);
* ``_options``: the command line and config file; ``_sample``: which videos (seeded sample by
  files or minutes); ``_run``: the run itself.

``fastvid bench`` without PATH runs the source tree's suite (:mod:`fastvid.bench`).
"""

from __future__ import annotations

from fastvid.benchmark._options import FolderBenchOptions, is_folder_command, parse_options
from fastvid.benchmark._run import main, run_folder_bench

__all__ = [
    "FolderBenchOptions",
    "is_folder_command",
    "main",
    "parse_options",
    "run_folder_bench",
]
