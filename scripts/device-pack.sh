#!/usr/bin/env bash
# Packs into .carry/ (ignored, never committed) what a GPU machine without Node needs to run
# test/gpu/run.sh: this machine's node binary (xz), the runtime packages the GPU suite and benchmarks
# load, open_clip's source (to export CLIP packages there), and, when TRT_INCLUDE names them, TensorRT
# 10's public headers (for the compile check; e.g. `git archive <commit> include` of NVIDIA/TensorRT).
# Prints the device command. Needs `npm test` to have run once (fixtures, the tiny CLIP package).
#   TRT_INCLUDE=/tmp/trt/include bash scripts/device-pack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f test/.fixtures/clip/tiny/clip.json ] || { echo "device-pack: run npm test first (it makes the fixtures)" >&2; exit 2; }
rm -rf .carry && mkdir -p .carry
npx tsc -p tsconfig.json
echo "device-pack: node $(node --version)"
xz -T0 -6 -c "$(command -v node)" > .carry/node.xz
modules=(sharp @img node-gyp-build detect-libc semver node-addon-api node-api-headers)
tar -cJf .carry/node_modules.tar.xz "${modules[@]/#/node_modules/}"
tar -cJf .carry/open_clip_site.tar.xz -C test/.fixtures/clip site
if [ -n "${TRT_INCLUDE:-}" ]; then
  [ -f "$TRT_INCLUDE/NvInfer.h" ] || { echo "device-pack: no NvInfer.h in $TRT_INCLUDE" >&2; exit 2; }
  mkdir -p .carry/trt && cp -r "$TRT_INCLUDE" .carry/trt/include
fi
du -sh .carry/* dist test/.fixtures/clip/tiny
steps="build test concurrency clip${TRT_INCLUDE:+ trt-check}"
cat <<EOF
device-pack: carry [".carry", "dist", "test/.fixtures/clip/tiny"] and run (about 5 minutes; then the same with the steps "build bench" and BENCH_ARGS=--quick):
mkdir -p /tmp/n && xz -dc .carry/node.xz > /tmp/n/node && chmod +x /tmp/n/node && export PATH=/tmp/n:\$PATH UV_THREADPOOL_SIZE=16 TRT_INCLUDE=\$PWD/.carry/trt/include && tar -xJf .carry/node_modules.tar.xz && tar -xJf .carry/open_clip_site.tar.xz -C test/.fixtures/clip && (bash test/gpu/run.sh $steps 2>&1 | tee \$OUT/run.log); cp -r benchmarks/results \$OUT/
EOF
