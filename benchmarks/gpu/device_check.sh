#!/usr/bin/env bash
# The one device call of `make gpu-check` on the lent GPU machine (offline, Python 3.12 with torch
# already there). Untested on GPU: the first GPU session is its validation run.
#
#   bash benchmarks/gpu/device_check.sh        # from the repository root, after the parts of
#                                              # tools/gpu-wheels.sh arrived (benchmarks/results/README.md)
#
# 1. unpacks .gpu-wheels (DALI, PyAV, PyTorchVideo, ...) into .gpu-wheels/site;
# 2. records the machine (nvidia-smi, where libnvcuvid is: NVDEC needs it, and DALI dlopens it);
# 3. python3 -m fastvid.gpu_check --out "$OUT" (fixtures, GPU vs CPU clip by clip, X3D-S step,
#    throughput; budget GPU_CHECK_BUDGET_S seconds, default 330, for everything but the
#    correctness runs, which always run);
# 4. the needs_cuda tests with FASTVID_REQUIRE_CUDA=1 (a skip is a failure), if time is left.
# Everything it writes lands flat in $OUT (at most 8 files come back). Exit status: the check's,
# else the tests'.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/benchmarks/results/gpu}
mkdir -p "$OUT"
began=$SECONDS
log() { echo "[device_check +$((SECONDS - began)) s] $*"; }

log "unpacking .gpu-wheels"
if ! bash .gpu-wheels/install.sh > "$OUT/install.log" 2>&1; then
  cat "$OUT/install.log"
  log "the staged packages are missing or incomplete: carry every part (tools/gpu-wheels.sh calls)"
  exit 3
fi
export PYTHONPATH="$PWD:$PWD/.gpu-wheels/site${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export FASTVID_CACHE_DIR=/tmp/fastvid-cache SVT_LOG=1
PY=${PYTHON:-python3}

log "machine"
{
  nvidia-smi || echo "nvidia-smi failed"
  echo "--- libnvcuvid / libcuda (NVDEC needs libnvcuvid.so[.1] on the loader path)"
  ldconfig -p 2>/dev/null | grep -E 'libnvcuvid|libcuda\.so' || echo "not in ldconfig's cache"
  find /usr/local/nvidia /usr/lib/x86_64-linux-gnu /usr/lib64 -maxdepth 3 -name 'libnvcuvid*' 2>/dev/null
  echo "--- python"
  $PY -c 'import sys, torch; print(sys.version); print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())'
  $PY -c 'import nvidia.dali, av, pytorchvideo; print("dali", nvidia.dali.__version__, "av", av.__version__)'
} > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
# DALI dlopens libnvcuvid.so or libnvcuvid.so.1; if the driver's copy is not on the loader path,
# put its folder there (the driver folder is read-only, so nothing is linked into it)
if ! ldconfig -p 2>/dev/null | grep -q libnvcuvid; then
  found=$(find /usr/local/nvidia /usr/lib/x86_64-linux-gnu /usr/lib64 -maxdepth 3 -name 'libnvcuvid.so*' 2>/dev/null | head -1)
  if [ -n "$found" ]; then
    mkdir -p /tmp/nvdec-libs && ln -sf "$found" /tmp/nvdec-libs/libnvcuvid.so && ln -sf "$found" /tmp/nvdec-libs/libnvcuvid.so.1
    export LD_LIBRARY_PATH="/tmp/nvdec-libs:$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    log "libnvcuvid found at $found: added to LD_LIBRARY_PATH"
  else
    log "no libnvcuvid on this machine: NVDEC cannot work (the check will say so and fail)"
  fi
fi

log "fastvid gpu-check"
# SIGINT at GPU_CHECK_TIMEOUT_S (450 s): the check stops where it is; its report was saved
# after every phase
timeout -s INT -k 20 "${GPU_CHECK_TIMEOUT_S:-450}" $PY -m fastvid.gpu_check --out "$OUT" --workdir /tmp/fastvid-gpu-check \
  --budget-seconds "${GPU_CHECK_BUDGET_S:-330}" 2>&1 | grep -v '^Svt\[' | tee "$OUT/gpu-check.log"
rc=${PIPESTATUS[0]}
log "gpu-check exit status $rc"

left=$((470 - (SECONDS - began)))
if [ "$left" -gt 45 ]; then
  log "needs_cuda tests (FASTVID_REQUIRE_CUDA=1), at most $left s"
  FASTVID_REQUIRE_CUDA=1 timeout "$left" $PY -m pytest -q -p no:cacheprovider -m needs_cuda \
    tests/reader/loader/test_clip_loader_gpu.py > "$OUT/needs-cuda-tests.log" 2>&1
  tests_rc=$?
  log "needs_cuda tests exit status $tests_rc (log: needs-cuda-tests.log)"
  if [ "$rc" -eq 0 ] && [ "$tests_rc" -ne 0 ]; then rc=$tests_rc; fi
  tail -15 "$OUT/needs-cuda-tests.log"
else
  log "no time left for the needs_cuda tests"
fi
log "done; files in \$OUT: $(ls "$OUT" | tr '\n' ' ')"
exit "$rc"
