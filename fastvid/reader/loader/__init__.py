"""The loader: labelled videos in, batch dicts out (``ClipLoader``), epoch by epoch, resumable.

In: videos, clip sampler, transforms and options. Out: PyTorchVideo-style batch dicts, in
order, and a record of what was skipped. It wires the other rooms: set-up (index, routes,
budget), :mod:`~fastvid.reader.planning` for each epoch's plan, :mod:`~fastvid.reader.workers`
to decode, :mod:`~fastvid.reader.dali` for the graph, :mod:`~fastvid.reader.transforms`.

==================  ==========================================================================
``clip_loader``     ``ClipLoader``: options, set-up, epochs, iteration
``_options``        its options checked and inputs made uniform (the transform lowered)
``_setup``          one-time set-up: index, decoder per file, what the run sees of each video
``_index_source``   where the index comes from (given, a file, beside the data, built per node)
``_videos``         the loader's videos as index columns (``IndexedVideos``)
``epoch_run``       ``EpochRun``: one epoch, dispatch ahead, collect, run each batch, in order
``_run_types``      its values: ``RunConfig``, ``VideoSource``, ``EpochStats``, bookkeeping
``_run_parts``      what every run is made of and shares (pool, graphs, task ids, router)
``_run_ahead``      the current run and the next epoch's, started as the current one ends
``_graphs``         the DALI graphs a loader needs, one per input kind
``batch``           batch dicts (``make_batch``, ``loader_batch``)
``_audio_batch``    clips' audio in sample and batch dicts
``_resume``         ``state_dict`` / ``load_state_dict``: the position in the stream of batches
``_fingerprint``    what a saved state is checked against (fingerprint, plan digest)
``_skips``          the skip log and skip policy
``skip_report``     ``SkipReport``: what was left out, and why
==================  ==========================================================================

``from fastvid.reader.loader import ClipLoader`` works as before; the name loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastvid.reader.loader.clip_loader import ClipLoader

__all__ = ["ClipLoader"]


def __getattr__(name: str) -> Any:
    if name == "ClipLoader":
        from fastvid.reader.loader.clip_loader import ClipLoader

        return ClipLoader
    raise AttributeError(f"module 'fastvid.reader.loader' has no attribute {name!r}")
