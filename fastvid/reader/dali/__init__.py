"""Everything fastvid does with DALI: the clip graph and running it (the only DALI importers)."""

import nvidia.dali

from fastvid.reader.dali.graph import GraphSpec, build_graph, input_names, param_arrays
from fastvid.reader.dali.pipeline import ClipPipeline, DaliRunError, decode_only, live_pipelines

__all__ = [
    "ClipPipeline",
    "DaliRunError",
    "GraphSpec",
    "build_graph",
    "dali_version",
    "decode_only",
    "input_names",
    "live_pipelines",
    "param_arrays",
]


def dali_version() -> str:
    """The installed DALI's version."""
    return str(nvidia.dali.__version__)
