"""``fastvid gpu-check``: is NVDEC usable, and does the GPU path agree with the CPU path?

1. Generates small frame-index-stamped fixtures in every codec PyAV can encode here.
2. CPU half (always): decodes planned frames on fastvid's CPU path (DALI's CPU decoder for
   VP8/VP9/MJPEG, PyAV for the rest) and checks the stamped indices.
3. GPU half (when CUDA is usable): decodes the same frames with ``fn.decoders.video`` on
   ``mixed`` (NVDEC), compares frame indices exactly and pixels within a tolerance, then runs
   the seed config's lowered ops on GPU and CPU on the same frames and compares.

Prints a short report; ``--json PATH`` also writes it as JSON. Exit status 0 when everything
that ran passed (the GPU half may be skipped, with the reason printed), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

__all__ = ["CheckResult", "GpuCheckReport", "main", "run_gpu_check"]

PIXEL_TOLERANCE = 3.0  # mean |a - b| on 0..255: YUV->RGB conversions differ slightly
FRAMES = np.array([0, 3, 7, 12, 20, 29], dtype=np.int64)


@dataclass
class CheckResult:
    """One line of the report."""

    name: str
    passed: bool | None  # None: skipped
    detail: str


@dataclass
class GpuCheckReport:
    """Everything ``fastvid gpu-check`` found."""

    machine: dict[str, str]
    gpu_reason: str | None
    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.passed is not False for r in self.results)

    def text(self) -> str:
        lines = [f"fastvid gpu-check on {self.machine.get('gpu') or 'no GPU'}"]
        if self.gpu_reason:
            lines.append(f"GPU half skipped: {self.gpu_reason}")
        for r in self.results:
            mark = {True: "PASS", False: "FAIL", None: "SKIP"}[r.passed]
            lines.append(f"  {mark}  {r.name}: {r.detail}")
        lines.append("result: " + ("OK" if self.ok else "FAILED"))
        return "\n".join(lines)


def _machine() -> dict[str, str]:
    import torch

    info = {"python": platform.python_version(), "torch": torch.__version__}
    from fastvid.reader.dali import dali_version

    info["dali"] = dali_version()
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = str(torch.version.cuda)
    return info


def _fixtures(folder: Path) -> dict[str, Path]:
    from fastvid.testing import available_codecs, container_extension, make_video

    files = {}
    for codec in available_codecs():
        path = folder / f"fixture_{codec}{container_extension(codec)}"  # type: ignore[arg-type]
        make_video(
            path,
            codec=codec,  # type: ignore[arg-type]
            size=(128, 96),
            fps=30,
            duration=1.0,
            seed=7,
        )
        files[codec] = path
    return files


def _stamps(frames: np.ndarray) -> list[int]:
    from fastvid.testing import read_frame_index

    return [read_frame_index(frame) for frame in frames]


def _dali_decode(path: Path, frames: np.ndarray, device: Literal["cpu", "gpu"]) -> np.ndarray:
    from fastvid.reader.dali import decode_only

    return decode_only(np.fromfile(path, dtype=np.uint8), frames, device=device)


def _cpu_decode(path: Path, codec: str, frames: np.ndarray) -> np.ndarray:
    from fastvid.data.index import probe_video
    from fastvid.reader.pyav_source import decode_frames
    from fastvid.reader.routing import DALI_CPU

    if codec in DALI_CPU.codecs:
        return _dali_decode(path, frames, "cpu")
    meta = probe_video(path)
    return decode_frames(path, frames, pts=meta.pts, keyframes=meta.keyframes)


def _check_cpu(files: dict[str, Path], report: GpuCheckReport) -> dict[str, np.ndarray]:
    decoded = {}
    for codec, path in files.items():
        try:
            frames = _cpu_decode(path, codec, FRAMES)
            stamps = _stamps(frames)
            ok = stamps == FRAMES.tolist()
            decoded[codec] = frames
            report.results.append(CheckResult(f"cpu decode {codec}", ok, f"frames {stamps}"))
        except Exception as exc:
            report.results.append(CheckResult(f"cpu decode {codec}", False, str(exc)[:300]))
    return decoded


def _check_gpu_decode(
    files: dict[str, Path], cpu: dict[str, np.ndarray], report: GpuCheckReport
) -> None:
    for codec, path in files.items():
        started = time.perf_counter()
        try:
            frames = _dali_decode(path, FRAMES, "gpu")
        except Exception as exc:
            report.results.append(CheckResult(f"nvdec decode {codec}", False, str(exc)[:300]))
            continue
        stamps = _stamps(frames)
        detail = f"frames {stamps}"
        ok = stamps == FRAMES.tolist()
        if codec in cpu and cpu[codec].shape == frames.shape:
            diff = float(np.abs(cpu[codec].astype(np.float32) - frames.astype(np.float32)).mean())
            detail += f"; mean |gpu - cpu| {diff:.2f} (tolerance {PIXEL_TOLERANCE})"
            ok = ok and diff <= PIXEL_TOLERANCE
        detail += f"; {1000 * (time.perf_counter() - started):.0f} ms"
        report.results.append(CheckResult(f"nvdec decode {codec}", ok, detail))


def _check_gpu_ops(frames: np.ndarray, report: GpuCheckReport) -> None:
    import torch

    from fastvid.reader.augment import (
        ChannelAffine,
        CropOp,
        FlipOp,
        ShortSideScaleOp,
        sample_steps,
    )
    from fastvid.reader.dali import ClipPipeline, GraphSpec, input_names, param_arrays

    ops = (ShortSideScaleOp(100, 120), CropOp(88, 88, True), FlipOp(0.5))
    affine = ChannelAffine((1 / 57.375,) * 3, (-2.0,) * 3)
    outputs = {}
    devices: tuple[Literal["cpu", "gpu"], ...] = ("cpu", "gpu")
    for device in devices:
        spec = GraphSpec("frames", ops, affine, device, rearrange=False)
        pipe = ClipPipeline(spec, batch_size=1, device_id=0 if device == "gpu" else None)
        generator = torch.Generator().manual_seed(3)
        steps = sample_steps(ops, frames.shape[1], frames.shape[2], generator)
        arrays = [frames, *param_arrays(spec, steps.params)]
        try:
            clips = pipe.run({n: [a] for n, a in zip(input_names(spec), arrays, strict=True)})
        finally:
            pipe.close()
        outputs[device] = clips[0].cpu()
    diff = float((outputs["cpu"] - outputs["gpu"]).abs().max())
    ok = outputs["cpu"].shape == outputs["gpu"].shape and diff < 0.05
    report.results.append(
        CheckResult(
            "lowered ops gpu vs cpu",
            ok,
            f"shape {tuple(outputs['gpu'].shape)}, max |diff| {diff:.4f}",
        )
    )


def run_gpu_check(workdir: str | Path | None = None) -> GpuCheckReport:
    """Run the checks and return the report (see the module docstring)."""
    from fastvid.reader.device import _gpu_reason_unusable

    report = GpuCheckReport(_machine(), _gpu_reason_unusable())
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(workdir or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        files = _fixtures(folder)
        cpu = _check_cpu(files, report)
        if report.gpu_reason is not None:
            report.results.append(CheckResult("nvdec decode", None, report.gpu_reason))
            return report
        _check_gpu_decode(files, cpu, report)
        reference = next((f for f in cpu.values()), None)
        if reference is not None:
            try:
                _check_gpu_ops(reference, report)
            except Exception as exc:
                report.results.append(CheckResult("lowered ops gpu vs cpu", False, str(exc)[:300]))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``fastvid gpu-check`` entry point."""
    parser = argparse.ArgumentParser(prog="fastvid gpu-check", description=__doc__)
    parser.add_argument("--json", help="also write the report as JSON here")
    args = parser.parse_args(argv)
    report = run_gpu_check()
    print(report.text())
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(report), indent=2))
    return 0 if report.ok else 1
