"""What ``fastvid gpu-check`` found: result lines, the machine, every number (text, JSON, MD)."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["CheckResult", "GpuCheckReport", "device_slug", "machine_info"]

UNTESTED = "untested on GPU"


@dataclass
class CheckResult:
    """One line of the report.

    Attributes:
        name: What was checked (``"cpu ..."`` for the CPU half, ``"gpu ..."`` for the GPU half).
        passed: ``True``, ``False``, or ``None`` for a check that was skipped or only informs.
        detail: The numbers or the reason.
    """

    name: str
    passed: bool | None
    detail: str


@dataclass
class GpuCheckReport:
    """Everything one ``fastvid gpu-check`` run found.

    Attributes:
        machine: GPU, driver, CPU count, package versions.
        gpu_reason: Why the GPU half was skipped (``None``: it ran).
        results: The pass/fail lines, in order.
        phases: Seconds per phase, in order.
        fixtures: One entry per generated video (name, codec, container, size, frames, GOP, ...).
        routing: Per fixture, the decoder chosen and why (dry run, and the GPU loader's).
        comparisons: Per comparison run, its per-clip numbers and summary.
        throughput: Per dataset, clips/s of each row and the ratios.
        training: The training step's numbers.
        notes: Anything a reader of the numbers must know.
    """

    machine: dict[str, Any]
    gpu_reason: str | None
    results: list[CheckResult] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    fixtures: list[dict[str, Any]] = field(default_factory=list)
    routing: dict[str, Any] = field(default_factory=dict)
    comparisons: dict[str, Any] = field(default_factory=dict)
    throughput: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    autosave: str | None = field(default=None, repr=False)
    """Folder the report is rewritten into after every phase (a run cut short keeps its
    results); not part of the JSON."""

    @property
    def ok(self) -> bool:
        """No check failed (skipped ones do not count)."""
        return all(r.passed is not False for r in self.results)

    def add(self, name: str, passed: bool | None, detail: str) -> CheckResult:
        """Record one result line and print it at once (the device run's log is the output)."""
        result = CheckResult(name, passed, detail)
        self.results.append(result)
        print(f"  {_MARK[passed]}  {name}: {detail}", flush=True)
        return result

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a phase; its seconds are printed and kept in :attr:`phases`."""
        print(f"[{name}]", flush=True)
        started = time.perf_counter()
        try:
            yield
        except BaseException as exc:  # a time limit's SIGINT: say so in the saved report
            if not isinstance(exc, Exception):
                self.add(f"{name} interrupted", False, f"{type(exc).__name__}: the run was stopped")
            raise
        finally:
            seconds = time.perf_counter() - started
            self.phases[name] = round(seconds, 2)
            print(f"[{name}] {seconds:.1f} s", flush=True)
            if self.autosave is not None:
                try:
                    self.write(self.autosave)
                except OSError as exc:
                    print(f"could not save the report to {self.autosave}: {exc}", flush=True)

    def text(self) -> str:
        """The summary printed at the end."""
        lines = [f"fastvid gpu-check on {self.machine.get('gpu') or 'no GPU'}"]
        if self.gpu_reason:
            lines.append(f"GPU half skipped: {self.gpu_reason} ({UNTESTED})")
        for r in self.results:
            lines.append(f"  {_MARK[r.passed]}  {r.name}: {r.detail}")
        lines.append("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items()))
        lines.append("result: " + ("OK" if self.ok else "FAILED"))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable)."""
        data = asdict(self)
        data.pop("autosave", None)
        data["ok"] = self.ok
        return data

    def markdown(self) -> str:
        """The report as Markdown: machine, results, routing, comparisons, throughput."""
        m = self.machine
        out = [f"# fastvid gpu-check: {m.get('gpu') or 'no GPU'}", ""]
        if self.gpu_reason:
            out += [f"**GPU half skipped ({UNTESTED}):** {self.gpu_reason}", ""]
        out += [f"Result: **{'OK' if self.ok else 'FAILED'}**", "", "## Machine", ""]
        out += [f"- {key}: {value}" for key, value in m.items()]
        out += ["", "## Checks", "", "| | check | detail |", "|---|---|---|"]
        out += [f"| {_MARK[r.passed]} | {r.name} | {_cell(r.detail)} |" for r in self.results]
        out += ["", "## Phases (s)", ""]
        out += [f"- {k}: {v:.1f}" for k, v in self.phases.items()]
        if self.fixtures:
            out += ["", "## Fixtures", "", "| name | codec | container | size | frames | note |"]
            out += ["|---|---|---|---|---|---|"]
            for f in self.fixtures:
                out.append(
                    f"| {f['name']} | {f['codec']} | {f['container']} | {f['width']}x{f['height']}"
                    f" | {f.get('frames', '')} | {_cell(f.get('note', ''))} |"
                )
        for title, table in self.routing.items():
            out += ["", f"## Routing: {title}", "", "| file | decoder | why |", "|---|---|---|"]
            out += [f"| {r['file']} | {r['decoder']} | {_cell(r['reason'])} |" for r in table]
        if self.comparisons:
            out += ["", "## GPU vs CPU comparisons", ""]
            for name, c in self.comparisons.items():
                out.append(f"- **{name}**: {_cell(c.get('summary', ''))}")
        if self.training:
            out += ["", "## Training step", "", "```", json.dumps(self.training, indent=1), "```"]
        if self.throughput:
            out += ["", "## Throughput (clips/s)", ""]
            out += ["| dataset | row | first batch s | epoch 0 clips/s | steady clips/s | note |"]
            out += ["|---|---|---|---|---|---|"]
            for dataset, rows in self.throughput.items():
                for row, r in rows.get("rows", {}).items():
                    out.append(
                        f"| {dataset} | {row} | {_num(r.get('first_batch_s'))} | "
                        f"{_num(r.get('first_epoch_clips_per_s'))} | "
                        f"{_num(r.get('steady_clips_per_s'))} | {_cell(r.get('note', ''))} |"
                    )
                for name, value in rows.get("ratios", {}).items():
                    out.append(f"| {dataset} | ratio {name} | | | {_num(value)} | |")
        if self.notes:
            out += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(out) + "\n"

    def write(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write ``<device>.json`` and ``<device>.md`` into ``folder``; returns their paths."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        stem = device_slug(self.machine.get("gpu"))
        json_path, md_path = target / f"{stem}.json", target / f"{stem}.md"
        json_path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")
        md_path.write_text(self.markdown())
        return [json_path, md_path]


_MARK = {True: "PASS", False: "FAIL", None: "SKIP"}


def _cell(text: Any) -> str:
    return str(text).replace("|", "/").replace("\n", " ")


def _num(value: Any) -> str:
    return "" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def device_slug(gpu: str | None) -> str:
    """A file name for a GPU (``"NVIDIA H200"`` -> ``"nvidia-h200"``; no GPU: ``"no-gpu"``)."""
    if not gpu:
        return "no-gpu"
    return re.sub(r"[^a-z0-9]+", "-", gpu.lower()).strip("-") or "gpu"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    commit = os.environ.get("FASTVID_COMMIT")
    if commit:
        return commit
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown (no git metadata: the device copy has none)"


def machine_info() -> dict[str, Any]:
    """The machine and the versions that the numbers depend on."""
    import torch

    info: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "fastvid commit": _git_commit(),
        "python": platform.python_version(),
        "cpu cores": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
    }
    for package in (
        "torch",
        "torchvision",
        "nvidia-dali-cuda130",
        "nvidia-dali-cuda120",
        "av",
        "pytorchvideo",
        "pytorch-lightning",
        "numpy",
    ):
        version = _version(package)
        if version != "not installed" or not package.startswith("nvidia-dali"):
            info[package] = version
    try:
        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            info["gpu"] = torch.cuda.get_device_name(0)
            info["gpu memory GiB"] = round(props.total_memory / 2**30, 1)
            info["gpu count"] = torch.cuda.device_count()
            info["cuda (torch)"] = str(torch.version.cuda)
            info["driver"] = _driver_version()
    except Exception as exc:  # a broken driver must not stop the CPU half
        info["cuda error"] = f"{type(exc).__name__}: {exc}"
    return info


def _driver_version() -> str:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (no nvidia-smi)"
    return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "unknown"
