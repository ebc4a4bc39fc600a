"""Write benchmark results: ``results.json`` (raw), ``results.md`` (tables) and PNG plots.

The same package writes ``fastvid bench PATH``'s ``bench.json``, ``bench.md`` and ``bench.png``
(``_folder``) and the scaling run's ``scaling.json``, ``scaling.md`` and plots.

* ``_machine``: the machine a run measured (:func:`machine_info`) and its results folder name
  (:func:`machine_tag`);
* ``_ratios``: the best config of each loader (:func:`mark_best`), fastvid's ratios against the
  others (:func:`headline_ratios`) and the issue's targets (:data:`TARGETS`, :func:`target_for`,
  :func:`target_lines`);
* ``_json``: ``results.json`` / ``scaling.json`` (:func:`write_json`);
* ``_markdown``: ``results.md`` / ``scaling.md`` (:func:`write_markdown`,
  :func:`write_scaling_markdown`);
* ``_plots``: the PNG plots (:func:`plot_throughput`, :func:`plot_scaling`);
* ``_folder``: ``fastvid bench PATH``'s ``bench.json``, ``bench.md`` and ``bench.png``
  (:func:`write_folder_report`, :func:`folder_table`).
"""

from __future__ import annotations

from fastvid.benchmark.report._folder import (
    folder_table,
    plot_folder,
    write_folder_markdown,
    write_folder_report,
)
from fastvid.benchmark.report._json import write_json
from fastvid.benchmark.report._machine import machine_info, machine_tag
from fastvid.benchmark.report._markdown import write_markdown, write_scaling_markdown
from fastvid.benchmark.report._plots import plot_scaling, plot_throughput
from fastvid.benchmark.report._ratios import (
    TARGETS,
    headline_ratios,
    mark_best,
    target_for,
    target_lines,
)

__all__ = [
    "TARGETS",
    "folder_table",
    "headline_ratios",
    "machine_info",
    "machine_tag",
    "mark_best",
    "plot_folder",
    "plot_scaling",
    "plot_throughput",
    "target_for",
    "target_lines",
    "write_folder_markdown",
    "write_folder_report",
    "write_json",
    "write_markdown",
    "write_scaling_markdown",
]
