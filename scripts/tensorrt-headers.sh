#!/usr/bin/env bash
# Extracts TensorRT's public headers for the versions the backend is compile-checked against
# (scripts/check-cuda.sh) into .trt-headers/<version>/include (ignored by git; never committed):
# 10.0 (its NvOnnxParser.h comes from the onnx-tensorrt submodule commit it pins), 10.16 and the newest
# 11.x tag. Needs local clones (bare or not) of github.com/NVIDIA/TensorRT and github.com/onnx/onnx-tensorrt.
# Usage: scripts/tensorrt-headers.sh <TensorRT git dir> <onnx-tensorrt git dir>
set -euo pipefail
cd "$(dirname "$0")/.."
trt=${1:?usage: scripts/tensorrt-headers.sh <TensorRT git dir> <onnx-tensorrt git dir>}
parser=${2:?usage: scripts/tensorrt-headers.sh <TensorRT git dir> <onnx-tensorrt git dir>}
newest=$(git -C "$trt" tag --list 'v11.*' | sort -V | tail -1)
[ -n "$newest" ] || { echo "tensorrt-headers: no v11.* tag in $trt" >&2; exit 1; }
for ref in release/10.0 v10.16 "$newest"; do
  name=${ref#release/}
  name=${name#v}
  rm -rf ".trt-headers/$name"
  mkdir -p ".trt-headers/$name"
  git -C "$trt" archive "$ref" include | tar -x -C ".trt-headers/$name"
  if [ ! -f ".trt-headers/$name/include/NvOnnxParser.h" ]; then
    # the ONNX parser's header lives in the parsers/onnx submodule at that commit
    commit=$(git -C "$trt" ls-tree "$ref" parsers/onnx | awk '{print $3}')
    git -C "$parser" show "$commit:NvOnnxParser.h" > ".trt-headers/$name/include/NvOnnxParser.h"
  fi
  echo "tensorrt-headers: $ref ($(git -C "$trt" rev-parse --short "$ref^{commit}")) -> .trt-headers/$name/include"
done
