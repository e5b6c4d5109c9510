#!/usr/bin/env bash
# The CPU test suite against an AddressSanitizer + UndefinedBehaviorSanitizer build of the addon and
# its core (build-asan/, built by `node scripts/install.mjs --sanitize`). Node and libtorch are not
# instrumented: the ASan runtime is preloaded, leak detection is off (Node keeps its heap to exit),
# and any ASan or UBSan report fails the run. Takes a few times the plain suite's time.
#   scripts/asan-suite.sh [vitest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/install.mjs --sanitize
symbols=$(nm -D build-asan/Release/edge_classify.node)
grep -q __asan_report <<<"$symbols" || { echo "asan-suite: the build is not instrumented" >&2; exit 1; }
export EDGE_CLASSIFY_BINARY=$PWD/build-asan/Release/edge_classify.node
export LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=$PWD/build-asan/asan
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$PWD/build-asan/ubsan
rm -f build-asan/asan.* build-asan/ubsan.*
npm run build:ts >/dev/null
status=0
npx vitest run "$@" || status=$?
if ls build-asan/asan.* build-asan/ubsan.* >/dev/null 2>&1; then
  echo "asan-suite: sanitizer reports:" >&2
  cat build-asan/asan.* build-asan/ubsan.* >&2
  exit 1
fi
echo "asan-suite: no sanitizer reports (vitest exit $status)"
exit $status
