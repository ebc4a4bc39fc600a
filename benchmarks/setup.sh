#!/usr/bin/env bash
# Install what the benchmark suite needs, then say what is usable:
#   * FFmpeg's shared libraries: torchcodec and SPDL load them at import time (Debian/Ubuntu:
#     apt-get install ffmpeg, FFmpeg 5.1 on Debian 12);
#   * the `bench` extra (torchcodec, SPDL 0.8, decord 0.6, matplotlib, psutil; SPDL and decord
#     only where they have wheels: Linux, decord x86-64 only);
#   * decord again on its own if the extra could not bring it (its rows are skipped without it).
# Usage: benchmarks/setup.sh            (uses .venv/bin/python, or $PYTHON)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
if [ ! -x "$PYTHON" ]; then PYTHON=python3; fi

if ldconfig -p 2>/dev/null | grep -q 'libavcodec\.so'; then
    echo "[setup] FFmpeg shared libraries: found"
elif command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    echo "[setup] installing FFmpeg's shared libraries (apt-get install ffmpeg) for torchcodec and SPDL"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ffmpeg
else
    echo "[setup] WARNING: FFmpeg's shared libraries are missing and apt-get is not available;"
    echo "[setup]          install FFmpeg (4-8) yourself, or the torchcodec and SPDL rows will be skipped"
fi

CONSTRAINTS=()
if [ -f constraints.txt ]; then CONSTRAINTS=(-c constraints.txt); fi
echo "[setup] pip install -e '.[bench]'"
"$PYTHON" -m pip install --quiet "${CONSTRAINTS[@]}" -e '.[bench]'

if ! "$PYTHON" -c 'import decord' 2>/dev/null; then
    echo "[setup] pip install decord (optional)"
    "$PYTHON" -m pip install --quiet "${CONSTRAINTS[@]}" decord \
        || echo "[setup] decord is not installable here (no wheel: x86-64 Linux only): its rows will be skipped"
fi

"$PYTHON" - <<'EOF'
for name in ("torchcodec.decoders", "spdl.io", "decord", "matplotlib", "psutil"):
    try:
        __import__(name)
        print(f"[setup] {name}: ok")
    except Exception as exc:
        print(f"[setup] {name}: NOT usable ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})")
EOF
