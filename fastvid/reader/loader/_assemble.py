"""A batch of an epoch run, assembled: its clips through the graphs of their routes.

:class:`BatchAssembly` is the part of :class:`~fastvid.reader.loader.epoch_run.EpochRun`
that, once every clip of a batch is back in shared memory, feeds DALI zero-copy views of it
(one graph per input kind: GOP cuts DALI decodes, frames PyAV decoded), or finishes PyAV's
frames in torch where no graph is needed, drops the clips that failed (one bad clip in a DALI
batch: the clips run one by one to find it), copies out their audio and returns the batch,
one tensor when every clip has the same shape.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from fastvid.errors import VideoErrorKind
from fastvid.reader.dali import ClipPipeline, DaliRunError, param_arrays
from fastvid.reader.decoding.audio import ClipAudio, read_clip_audio
from fastvid.reader.loader._run_types import KIND, EpochStats, Kind, RunConfig, Slot, TaskState
from fastvid.reader.planning.frames import ClipRequest
from fastvid.reader.transforms.finish import ClipFinish, finish_batch, one_torch_thread
from fastvid.reader.workers.shm import SegmentViews

__all__ = ["BatchAssembly"]


class BatchAssembly:
    """``EpochRun``'s batch assembly (a mixin: the run holds the slots, tasks and graphs)."""

    config: RunConfig
    stats: EpochStats
    _slots: dict[int, Slot]
    _task_info: dict[int, TaskState]
    _views: SegmentViews
    _pipeline: Callable[[Kind], ClipPipeline]
    _fail: Callable[[ClipRequest, str, VideoErrorKind], None]

    def _consumed(self, slot: Slot) -> None:
        raise NotImplementedError  # EpochRun's

    def _assemble(
        self, slots: range
    ) -> tuple[list[ClipRequest], torch.Tensor | list[torch.Tensor], list[ClipAudio | None] | None]:
        good: dict[Kind, list[int]] = {"encoded": [], "frames": []}
        for number in slots:
            slot = self._slots[number]
            assert slot.output is not None
            if slot.output.error:
                self._consumed(slot)
                self._fail(slot.request, slot.output.error, slot.output.kind)
                continue
            good[KIND[slot.route]].append(number)
        outputs: dict[int, torch.Tensor] = {}
        dense: dict[Kind, torch.Tensor] = {}
        heard = {}
        if self.config.decode_audio:  # copied out now: the segments are freed below
            heard = {n: self._audio(self._slots[n]) for numbers in good.values() for n in numbers}
        try:
            for kind, numbers in good.items():
                if numbers:
                    self._run_kind(kind, numbers, outputs, dense)
        finally:
            for number in (n for numbers in good.values() for n in numbers):
                self._consumed(self._slots[number])
        order = [n for n in slots if n in outputs]
        requests = [self._slots[n].request for n in order]
        audio = [heard[n] for n in order] if self.config.decode_audio else None
        for n in slots:
            self._slots.pop(n, None)
        kinds = [kind for kind, numbers in good.items() if numbers and kind in dense]
        if len(kinds) == 1 and dense[kinds[0]].shape[0] == len(order):
            return requests, dense[kinds[0]], audio  # one graph ran the whole batch: no copy
        clips = [outputs[n] for n in order]
        if clips and len({tuple(c.shape) for c in clips}) == 1:
            return requests, torch.stack(clips), audio
        return requests, clips, audio

    def _audio(self, slot: Slot) -> ClipAudio | None:
        """A copy of the clip's audio (its segment is freed once the batch is out)."""
        segment = self._task_info[slot.task_id].segment
        return read_clip_audio(slot.output, segment, self._views.view)

    def _run_kind(
        self,
        kind: Kind,
        numbers: list[int],
        outputs: dict[int, torch.Tensor],
        dense: dict[Kind, torch.Tensor],
    ) -> None:
        if kind == "frames" and self.config.torch_finish:
            self._finish_in_torch(numbers, outputs, dense)
            return
        pipeline = self._pipeline(kind)
        feeds = [self._inputs(kind, self._slots[n]) for n in numbers]
        began = time.perf_counter()
        try:
            out = pipeline.run(_by_name(pipeline.names, feeds))
            self.stats.dali_seconds += time.perf_counter() - began
        except DaliRunError:
            # one bad clip fails the whole batch: run the clips one by one to find it
            for number, feed in zip(numbers, feeds, strict=True):
                try:
                    single = pipeline.run(_by_name(pipeline.names, [feed]))
                except DaliRunError as exc:  # DALI's errors carry no type: a decoder error
                    reason = f"DALI could not decode it ({exc})"
                    self._fail(self._slots[number].request, reason, "decode_error")
                    continue
                outputs[number] = single[0]
            return
        if isinstance(out, torch.Tensor):
            dense[kind] = out
            clips: Sequence[torch.Tensor] = out.unbind(0)
        else:
            clips = out
        for number, clip in zip(numbers, clips, strict=True):
            outputs[number] = clip

    def _finish_in_torch(
        self, numbers: list[int], outputs: dict[int, torch.Tensor], dense: dict[Kind, torch.Tensor]
    ) -> None:
        """Full-size frames from the workers: resize, crop, flip, repeat, normalise in torch."""
        began = time.perf_counter()
        with one_torch_thread():
            self._finish_clips(numbers, outputs, dense)
        self.stats.dali_seconds += time.perf_counter() - began

    def _finish_clips(
        self, numbers: list[int], outputs: dict[int, torch.Tensor], dense: dict[Kind, torch.Tensor]
    ) -> None:
        clips = []
        for number in numbers:
            slot = self._slots[number]
            output = slot.output
            assert output is not None
            segment = self._task_info[slot.task_id].segment
            assert segment is not None
            view = self._views.view(segment, output.offset, int(np.prod(output.shape)))
            order = slot.order if self.config.rearrange else None
            finish = ClipFinish.from_params(self.config.spatial_ops, slot.params)
            clips.append((view.reshape(output.shape), order, finish))
        batch, finished = finish_batch(
            clips, self.config.affine, channels_last=self.config.channels_last
        )
        if batch is not None:
            dense["frames"] = batch
        for number, clip in zip(numbers, finished, strict=True):
            outputs[number] = clip

    def _inputs(self, kind: Kind, slot: Slot) -> list[np.ndarray]:
        output = slot.output
        assert output is not None
        segment = self._task_info[slot.task_id].segment
        assert segment is not None
        nbytes = int(np.prod(output.shape))
        data = self._views.view(segment, output.offset, nbytes)
        arrays = [data.reshape(output.shape)]
        if kind == "encoded":
            assert output.frames is not None
            arrays.append(output.frames)
        if self.config.rearrange:
            arrays.append(slot.order)
        spec = self._pipeline(kind).spec
        arrays += param_arrays(spec, slot.params)
        return arrays


def _by_name(names: Sequence[str], feeds: Sequence[Sequence[np.ndarray]]) -> dict[str, list[Any]]:
    return {name: [feed[i] for feed in feeds] for i, name in enumerate(names)}
