#!/usr/bin/env bash
# The GPU run: builds the addon with its CUDA kernels against python3's CUDA
# libtorch, exports every fixture model, runs the GPU suite (node:test), the
# same suite's preprocessing tests under compute-sanitizer memcheck, and the
# GPU benchmark. Needs: an NVIDIA GPU, nvcc, cmake, ninja, node, and python3
# with a CUDA torch, opencv, scikit-learn, scikit-image (+ torchvision for
# the Python pipeline peer). Results land in benchmarks/results/gpu.*.
#   test/gpu/run.sh [build|test|sanitize|bench]...   (default: all four)
# With TensorRT 10 installed, EDGE_TENSORRT_INCLUDE=<its include dir> builds the TensorRT backend too
# (CMake reads it); its suite (dist/test/gpu/tensorrt.test.js) and benchmark rows then run as well.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(build test sanitize bench)
has() { [[ " ${steps[*]} " == *" $1 "* ]]; }
PY=${PYTHON:-python3}

if has build; then
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
fi
if has test; then
  node --test --test-reporter=spec dist/test/gpu/
fi
if has sanitize; then
  # memcheck over the GPU tests: by default the kernel tests (SANITIZE_PATTERN=all for the whole suite)
  pattern=${SANITIZE_PATTERN:-GPU preprocessing}
  filter=()
  [ "$pattern" = all ] || filter=(--test-name-pattern="$pattern")
  compute-sanitizer --tool memcheck --target-processes all --error-exitcode 9 \
    node --test "${filter[@]}" dist/test/gpu/
fi
if has bench; then
  node dist/benchmarks/gpu.js ${BENCH_ARGS:-}
fi
