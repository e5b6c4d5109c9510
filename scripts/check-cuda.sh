#!/usr/bin/env bash
# Compile check of the CUDA kernels with nvcc, no GPU needed (CI runs it, so
# that kernel code that does not compile cannot land). The libtorch CUDA
# backend and the nvJPEG decoder need a CUDA libtorch and nvJPEG's headers:
# they are built on the GPU machine (test/gpu/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
NVCC=${NVCC:-nvcc}
if ! command -v "$NVCC" >/dev/null; then
  echo "check-cuda: nvcc not found, skipped"
  exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
archs=(80 87 90)
gencode=()
for a in "${archs[@]}"; do gencode+=("-gencode=arch=compute_$a,code=sm_$a"); done
for cu in native/core/cuda/*.cu; do
  "$NVCC" -std=c++17 -O3 -Xcompiler -Wall,-Werror --Werror all-warnings "${gencode[@]}" -Inative/core -c "$cu" -o "$out/$(basename "$cu").o"
  echo "check-cuda: $cu compiles for sm_${archs[*]// /, sm_} ($("$NVCC" --version | tail -1))"
done
