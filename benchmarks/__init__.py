"""fastvid's benchmark suite: fastvid against PyTorchVideo/PyAV, torchcodec, decord and a
decode-only ceiling, on generated videos that decode like real footage.

Run ``python -m benchmarks.run --help`` (or ``fastvid bench``); see ``benchmarks/README.md``.

* :mod:`benchmarks.datasets` generates (once) and reuses the videos under ``bench_data/``;
* :mod:`benchmarks.footage` encodes one benchmark video (H.264, VP9 transcode) and reads its
  packet statistics;
* :mod:`benchmarks.loaders` has the suite's rows (its config sweep, the ceilings, repeats) and
  re-exports the rows and timing harness it shares with ``fastvid bench PATH`` from the
  installed package (:mod:`fastvid.benchmark.loaders`);
* :mod:`benchmarks.scaling` measures cost against the number of videos and the batch size;
* :mod:`benchmarks.suite` picks what a run measures: datasets, clip samplers, clips per pass
  and PyTorchVideo's worker counts;
* :mod:`fastvid.benchmark.report` (in the installed package) writes ``results.json``,
  ``results.md`` and the PNG plots, one module per job (machine info, ratios and targets, JSON,
  Markdown tables, plots);
* :mod:`benchmarks.cli_args` has the command line's options and their checks;
* :mod:`benchmarks.run` is the command line: it runs every row of the suite and writes the report.
"""
