"""fastvid's benchmark suite: fastvid against PyTorchVideo/PyAV, torchcodec, decord and a
decode-only ceiling, on generated videos that decode like real footage.

Run ``python -m benchmarks.run --help`` (or ``fastvid bench``); see ``benchmarks/README.md``.

* :mod:`benchmarks.datasets` generates (once) and reuses the videos under ``bench_data/``;
* :mod:`benchmarks.loaders` has the loader rows and the shared timing harness, one module per
  job (workload, harness, pytorchvideo_rows, frame_decoders, ceiling, fastvid_rows, jobs);
* :mod:`benchmarks.scaling` measures cost against the number of videos and the batch size;
* :mod:`benchmarks.report` writes ``results.json``, ``results.md`` and the PNG plots;
* :mod:`benchmarks.run` is the command line.
"""
