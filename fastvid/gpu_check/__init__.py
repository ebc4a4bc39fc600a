"""``fastvid gpu-check``: does ``ClipLoader(device="gpu")`` give the CPU path's clips, and how fast?

One command, one device call (``benchmarks/gpu/device_check.sh`` on the GPU machine;
``benchmarks/results/README.md`` says how to run it there):

1. builds its fixtures (:mod:`~fastvid.gpu_check._fixtures`): every NVDEC codec PyAV can
   encode, CFR and VFR, MP4/MKV/WebM/AVI, mixed sizes >= 256x256, one MJPEG file that must go to
   PyAV, long-GOP 1080p H.264, damaged copies (the retry path), and two 16-video throughput
   sets;
2. CPU half (always): indexes them, routes them with the NVDEC capability table (dry run) and
   runs the reference loader (``device="cpu", cpu_decoder="pyav"``), checking its frames
   against the plan;
3. GPU half (with CUDA): the same loaders with ``device="gpu"``, compared clip by clip
   (:mod:`~fastvid.gpu_check._compare`: clip order, frame stamps, both flip branches, pixels
   within a stated tolerance, a batch with an undecodable clip still delivering the others),
   one ``Trainer.finetune`` of X3D-S on GPU batches (:mod:`~fastvid.gpu_check._train`), and
   clips/s against the NVDEC decode-only ceiling and PyTorchVideo with every core
   (:mod:`~fastvid.gpu_check._throughput`);
4. writes ``<device>.json`` and ``<device>.md`` (:mod:`~fastvid.gpu_check._report`) and exits 1
   on any mismatch.
"""

from fastvid.gpu_check._check import run_gpu_check
from fastvid.gpu_check._cli import main
from fastvid.gpu_check._report import CheckResult, GpuCheckReport

__all__ = ["CheckResult", "GpuCheckReport", "main", "run_gpu_check"]
