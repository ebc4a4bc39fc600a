"""Issue 15's scenario, run in a subprocess by ``test_fork_after_epoch.py``.

A fastvid epoch (or one abandoned after its first batch), the loader left for the garbage
collector, then a torch ``DataLoader`` with two forked workers and a forked
``multiprocessing.Pool`` whose tasks run ``gc.collect()``: the children find the parent's
loader, its DALI pipeline and its worker pool, and must not run their destructors (DALI's waits
forever for threads a forked child does not have). Usage: ``ROOT MODE [break]``; ``break``
turns the child-side disarming off to show that the scenario does hang without it.
"""

import gc
import multiprocessing
import sys
import time

import torch
import torchvision.transforms as tv
from torch.utils.data import DataLoader, Dataset

import fastvid  # noqa: F401  (installs the pytorchvideo.transforms shim, imported below)
from fastvid.data.samplers import make_clip_sampler
from fastvid.reader import ClipLoader
from fastvid.reader.dali import live_pipelines
from fastvid.testing import make_video


def subsample(frames: int) -> object:
    # imported here, after `import fastvid` installed the shim PyTorchVideo 0.1.5 needs
    from pytorchvideo.transforms import ApplyTransformToKey, UniformTemporalSubsample

    return ApplyTransformToKey("video", tv.Compose([UniformTemporalSubsample(frames)]))


root, mode = sys.argv[1], sys.argv[2]
if len(sys.argv) > 3 and sys.argv[3] == "break":  # show the test catches the hang
    from fastvid.reader.dali import pipeline as _p

    _p.ClipPipeline._disown = lambda self: None
paths = [
    str(make_video(f"{root}/v{i}.webm", codec="vp9", size=(96, 72), duration=2.0, seed=i))
    for i in range(3)
]
loader = ClipLoader(
    [(p, i) for i, p in enumerate(paths)],
    clip_sampler=make_clip_sampler("uniform", 0.5),
    transform=subsample(4),
    batch_size=2,
    cpu_decoder="dali",  # DALI decodes (its CPU decoder): a DALI pipeline is built
    device="cpu",
    progress=False,
    cache_dir=f"{root}/cache",
)
gc.disable()  # keep the abandoned loader for the children's collector to find
if mode == "epoch":
    batches = sum(1 for _ in loader)
else:  # abandoned mid-epoch
    it = iter(loader)
    next(it)
    batches = 1
    loader._keep = it  # the suspended epoch and the loader hold each other
loader._self = loader  # a cycle: only a garbage collection frees it
assert live_pipelines(), "the epoch should have built a DALI pipeline"
del loader
if mode != "epoch":
    del it


class Collecting(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        gc.collect()  # runs the destructors of everything the parent left behind
        return torch.tensor(i)


def collect(i):
    gc.collect()
    return i


print("FORKING", flush=True)  # the test times the forked phase from here
started = time.monotonic()
got = [int(b.sum()) for b in DataLoader(Collecting(), batch_size=2, num_workers=2)]
with multiprocessing.get_context("fork").Pool(2) as pool:
    squares = pool.map(collect, range(4))
elapsed = time.monotonic() - started
print(f"OK batches={batches} dataloader={got} pool={squares} forked-phase={elapsed:.2f}s")
gc.enable()
gc.collect()
