#!/usr/bin/env bash
# The GPU run: builds the addon with its CUDA kernels against python3's CUDA
# libtorch, exports every fixture model, runs the GPU suite (node:test), the
# same suite's preprocessing tests under compute-sanitizer memcheck, and the
# GPU benchmark. Needs: an NVIDIA GPU, nvcc, cmake, ninja, node, and python3
# with a CUDA torch, opencv, scikit-learn, scikit-image (+ torchvision for
# the Python pipeline peer). Results land in benchmarks/results/gpu.*.
#   test/gpu/run.sh [build|test|sanitize|bench|trt-check|concurrency|clip]...   (default: the first four)
#     trt-check    compile check of the TensorRT backend against the headers in TRT_INCLUDE (no TensorRT
#                  library needed): scripts/check-cuda.sh with this machine's nvcc, g++ and CUDA torch
#     concurrency  benchmarks/concurrency.ts on cuda (issue 4): results in benchmarks/results/concurrency-cuda.*
#     clip         exports CLIP_ARCH (default ViT-B-32, seeded random weights) with open_clip from
#                  test/.fixtures/clip/site and runs benchmarks/clip.ts on cuda, fp32 and fp16
# With TensorRT 10 installed, EDGE_TENSORRT_INCLUDE=<its include dir> builds the TensorRT backend too
# (CMake reads it); its suite (dist/test/gpu/tensorrt.test.js) and benchmark rows then run as well.
# A GPU machine without Node: scripts/device-pack.sh packs what this needs into .carry/ and prints the
# command to run there.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(build test sanitize bench)
has() { [[ " ${steps[*]} " == *" $1 "* ]]; }
PY=${PYTHON:-python3}

step_build() {
  prefix=$($PY -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
  napi_inc=$(node -p "require('node-api-headers').include_dir")
  [ -d dist ] || npx tsc -p tsconfig.json
  cmake -S . -B build -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DEDGE_CUDA=ON \
    -DEDGE_CUDA_ARCHITECTURES="${EDGE_CUDA_ARCHITECTURES:-80;87;90}" -DEDGE_NVJPEG="${EDGE_NVJPEG:-AUTO}" \
    -DCMAKE_JS_INC="$napi_inc" -DCMAKE_LIBRARY_OUTPUT_DIRECTORY="$PWD/build/Release"
  cmake --build build -j "$(nproc)"
  mkdir -p test/.fixtures
  $PY scripts/models/make_fixtures.py --out test/.fixtures --all --onnx
  echo "{\"python\": \"$(command -v $PY)\"}" > test/.fixtures/python.json
  node -e "console.log(require('./dist/lib/index.js').buildInfo())"
}
step_test() {
  node --test --test-reporter=spec dist/test/gpu/
}
step_sanitize() {
  # memcheck over the GPU tests: by default the kernel tests (SANITIZE_PATTERN=all for the whole suite)
  pattern=${SANITIZE_PATTERN:-GPU preprocessing}
  filter=()
  [ "$pattern" = all ] || filter=(--test-name-pattern="$pattern")
  compute-sanitizer --tool memcheck --target-processes all --error-exitcode 9 \
    node --test "${filter[@]}" dist/test/gpu/
}
step_bench() {
  node dist/benchmarks/gpu.js ${BENCH_ARGS:-}
}
step_trt_check() {
  EDGE_TENSORRT_INCLUDE=${TRT_INCLUDE:?TRT_INCLUDE must name TensorRT 10 headers} bash scripts/check-cuda.sh
}
step_concurrency() {
  node dist/benchmarks/concurrency.js --device cuda ${CONCURRENCY_ARGS:-}
}
step_clip() {
  arch=${CLIP_ARCH:-ViT-B-32}
  package=${CLIP_PACKAGE:-/tmp/edge-classify-clip-$arch}
  [ -f "$package/clip.json" ] || $PY scripts/models/export_clip.py "$package" --arch "$arch" --seed 0 --open-clip-site test/.fixtures/clip/site
  for precision in fp32 fp16; do node dist/benchmarks/clip.js --device cuda --precision $precision --package "$package" ${CLIP_ARGS:-}; done
}

# The build must succeed; every later step runs even when an earlier one failed, and the script
# fails at the end if any did.
if has build; then step_build; fi
failed=()
for name in test sanitize bench trt-check concurrency clip; do
  has $name || continue
  set +e
  (set -e; "step_${name//-/_}")
  rc=$?
  set -e
  [ $rc -eq 0 ] || { echo "run.sh: step $name failed ($rc)" >&2; failed+=("$name"); }
done
[ ${#failed[@]} -eq 0 ] || { echo "run.sh: failed steps: ${failed[*]}" >&2; exit 1; }
