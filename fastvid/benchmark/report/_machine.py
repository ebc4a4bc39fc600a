"""The machine a run measured: CPU, cores, RAM, GPU and driver, library versions, load."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["machine_info", "machine_tag"]

_PACKAGES = (
    "fastvid",
    "torch",
    "torchvision",
    "nvidia-dali-cuda130",
    "nvidia-dali-cuda120",
    "av",
    "pytorchvideo",
    "torchcodec",
    "decord",
    "spdl",
    "numpy",
    "psutil",
)


# --------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpu_info() -> dict[str, Any] | None:
    import torch

    try:
        if not torch.cuda.is_available():
            return None
        info: dict[str, Any] = {
            "name": torch.cuda.get_device_name(0),
            "count": torch.cuda.device_count(),
            "memory_gb": round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1),
            "cuda_runtime": torch.version.cuda,
        }
    except Exception as exc:
        return {"error": str(exc)}
    if shutil.which("nvidia-smi"):
        try:
            driver = (
                subprocess.run(
                    ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                    capture_output=True,
                    text=True,
                    timeout=20,
                    check=False,
                )
                .stdout.strip()
                .splitlines()
            )
            info["driver"] = driver[0] if driver else None
        except (OSError, subprocess.SubprocessError):
            info["driver"] = None
    return info


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    versions["python"] = platform.python_version()
    try:
        import av

        versions["pyav_libavcodec"] = ".".join(map(str, av.library_versions["libavcodec"]))
    except Exception:
        pass
    if shutil.which("ffmpeg"):  # the system FFmpeg torchcodec loads
        try:
            first = subprocess.run(
                ["ffmpeg", "-version"], capture_output=True, text=True, timeout=20, check=False
            ).stdout.splitlines()
            versions["system_ffmpeg"] = first[0].split()[2] if first else None
        except (OSError, subprocess.SubprocessError, IndexError):
            versions["system_ffmpeg"] = None
    return versions


def machine_info() -> dict[str, Any]:
    """CPU, cores, RAM, GPU and driver, library versions and the current load."""
    import psutil

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "gpu": _gpu_info(),
        "versions": _versions(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


def machine_tag(info: dict[str, Any]) -> str:
    """Folder name for a machine's results: ``"cpu"`` or ``"gpu-<name>"``."""
    gpu = info.get("gpu")
    if not gpu or "name" not in gpu:
        return "cpu"
    name = re.sub(r"[^a-z0-9]+", "-", gpu["name"].lower()).strip("-")
    return f"gpu-{name.removeprefix('nvidia-')}"
