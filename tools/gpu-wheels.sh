#!/usr/bin/env bash
# Stage what fastvid needs on the offline GPU machine (Python 3.12, torch/torchvision/lightning
# already there, at most 64 MiB per transfer), as a few parts that travel one per `run` call.
#
#   bash tools/gpu-wheels.sh fetch     # here, in the project root (needs PyPI): writes .gpu-wheels/
#   bash tools/gpu-wheels.sh calls     # prints the `run` calls that carry the parts (see below)
#
# What `fetch` does, and why (a copy of ../shared/tools/gpu-wheels.sh, fixed):
# * downloads the pinned wheels (the versions `make setup` installs here: av 18.1.0, not the
#   newest) for CPython $PY_VERSION on manylinux x86-64, and wheels the pure-Python sdists;
# * installs them HERE into a staging folder with `pip install --target --python-version`
#   (no pip run, no network and no compiler needed there), and drops what the check never
#   loads: DALI's C++ headers and its extension modules for other Python versions;
# * packs that folder as one .tar.xz and splits it into $PART_MIB MiB parts (default 56, so a
#   part plus the ~2 MiB working tree stays under the 64 MiB a call may carry), with SHA256SUMS
#   and install.sh, which checks every part is there before unpacking into .gpu-wheels/site.
# The project itself is not wheeled: the working tree travels with every call, and
# PYTHONPATH=$PWD:$PWD/.gpu-wheels/site puts it first.
#
# Not staged (already on that machine's image): torch, torchvision, numpy, pytorch-lightning,
# lightning, torchmetrics, pyyaml, tqdm, pillow, tabulate, portalocker, networkx, packaging, six,
# typing-extensions, pytest, pytest-timeout, hypothesis. Left out on purpose: nvidia-nvimgcodec
# and nvidia-libnvcomp (DALI dlopens them only for image decoding / decompression operators;
# nvimgcodec's wheel also ships nvidia/__init__.py, which would shadow the image's `nvidia`
# namespace), and jsonargparse (only `fastvid train`/`predict` need it; run the check as
# `python3 -m fastvid.gpu_check`).
set -euo pipefail
cmd=${1:-fetch}
cd "$(git rev-parse --show-toplevel)"
grep -qx '/.gpu-wheels/' .gitignore 2>/dev/null || {
  mkdir -p .git/info && grep -qx '/.gpu-wheels/' .git/info/exclude 2>/dev/null \
    || echo '/.gpu-wheels/' >> .git/info/exclude
}
PY_VERSION=${PY_VERSION:-3.12}
PART_MIB=${PART_MIB:-56}
PIP=${PIP:-python3 -m pip}
dali=${DALI_PKG:-nvidia-dali-cuda130==2.4.0}   # the GPU machine's driver is CUDA 13 (580.x)
pins=(
  "$dali" astunparse==1.6.3 gast==0.7.0 optree==0.20.0 nvtx==0.2.17 makefun==1.16.0
  libcst==1.9.0 av==18.1.0 kornia==0.9.0 kornia_rs==0.2.0 yacs==0.1.8 termcolor==3.3.0
  parameterized==0.9.0
)
sdists=(pytorchvideo==0.1.5 fvcore==0.1.5.post20221221 iopath==0.1.10)
abi=cp${PY_VERSION/./}
stage=.gpu-wheels

print_calls() {
  local parts=("$stage"/part-*)
  local n=${#parts[@]} i=0 last=$((${#parts[@]} - 1))
  echo "Device calls (back to back: a machine goes back 30 s after a call; if it did, start again):"
  for part in "${parts[@]}"; do
    if [ "$i" -lt "$last" ]; then
      local extra=""
      [ "$i" -eq 0 ] && extra=', ".gpu-wheels/install.sh", ".gpu-wheels/SHA256SUMS"'
      local probe="ls -l .gpu-wheels"
      [ "$i" -eq 0 ] && probe="nvidia-smi -L; ldconfig -p | grep nvcuvid || echo no libnvcuvid in ldconfig; python3 -V; ls -l .gpu-wheels"
      echo "  $((i + 1))/$n run(command=\"$probe\", carry=[\"$part\"$extra], timeout_s=60)"
    else
      local first=""
      [ "$n" -eq 1 ] && first=', ".gpu-wheels/install.sh", ".gpu-wheels/SHA256SUMS"'
      echo "  $n/$n run(command=\"FASTVID_COMMIT=$(git rev-parse --short HEAD) bash benchmarks/gpu/device_check.sh\", carry=[\"$part\"$first], timeout_s=560)"
    fi
    i=$((i + 1))
  done
  local tree
  tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r du -cb 2>/dev/null | tail -1 | cut -f1)
  echo "working tree that travels with each call: $((tree / 1024)) KiB; largest part: $(( $(ls -l "${parts[@]}" | awk '{print $5}' | sort -n | tail -1) / 1048576 )) MiB (limit: 64 MiB together)"
}

case "$cmd" in
fetch)
  rm -rf "$stage" && mkdir -p "$stage/wheels" "$stage/site"
  plat=(--only-binary=:all: --python-version "$PY_VERSION" --implementation cp --abi "$abi" --abi abi3
        --abi none --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any)
  $PIP download --quiet --no-deps -d "$stage/wheels" "${plat[@]}" "${pins[@]}" ${EXTRA_WHEELS:-}
  # pure-Python sdists (pytorchvideo, fvcore, iopath) become py3-none-any wheels here
  $PIP wheel --quiet --no-deps -w "$stage/wheels" "${sdists[@]}"
  $PIP install --quiet --no-index --no-deps --no-compile --target "$stage/site" "${plat[@]}" \
      "$stage"/wheels/*.whl
  # what nothing on the GPU machine loads: DALI's headers, other Pythons' extension modules
  rm -rf "$stage/site/nvidia/dali/include" "$stage/site/bin"
  find "$stage/site" -name '*.cpython-3*.so' ! -name "*.cpython-${PY_VERSION/./}-*" -delete
  find "$stage/site" -name __pycache__ -prune -exec rm -rf {} +
  ls "$stage/wheels" > "$stage/site/STAGED_WHEELS.txt"
  echo "staged $(du -sh "$stage/site" | cut -f1) for CPython $PY_VERSION; compressing (xz -9, a few minutes)"
  tar -C "$stage" -cf - site | xz -9 -T0 > "$stage/site.tar.xz"
  rm -rf "$stage/wheels" "$stage/site"
  split -b "${PART_MIB}m" -d "$stage/site.tar.xz" "$stage/part-"
  (cd "$stage" && sha256sum site.tar.xz part-* > SHA256SUMS) && rm "$stage/site.tar.xz"
  cat > "$stage/install.sh" <<'EOT'
#!/usr/bin/env bash
# Unpack the staged packages into .gpu-wheels/site (on the GPU machine; no pip, no network).
set -euo pipefail
cd "$(dirname "$0")"
if [ -f site/.complete ]; then echo "already unpacked: $PWD/site"; exit 0; fi
missing=$(awk '$2 ~ /^part-/ {print $2}' SHA256SUMS | while read -r p; do [ -f "$p" ] || echo "$p"; done)
if [ -n "$missing" ]; then
  echo "missing parts: $missing (each travels in its own call, back to back; a machine that went back lost the earlier ones)" >&2
  exit 3
fi
grep ' part-' SHA256SUMS | sha256sum -c --quiet
rm -rf site
if command -v xz >/dev/null; then
  cat part-* | xz -dc | tar -xf -
else
  cat part-* | python3 -c 'import sys, tarfile; tarfile.open(fileobj=sys.stdin.buffer, mode="r|xz").extractall(".")'
fi
touch site/.complete
echo "unpacked into $PWD/site: export PYTHONPATH=\$PWD:\$PWD/.gpu-wheels/site"
EOT
  chmod +x "$stage/install.sh"
  ls -l "$stage"
  print_calls
  ;;
calls) print_calls ;;
*) echo "usage: $0 fetch|calls" >&2; exit 2 ;;
esac
