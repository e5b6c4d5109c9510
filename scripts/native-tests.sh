#!/usr/bin/env bash
# The C++ tests without Node or libtorch: the scheduler's (native/test/scheduler_test.cc: real Scheduler,
# Executor and Classifier over a fake backend; and the CPU team's governor), built and run three ways:
#   plain, ThreadSanitizer, AddressSanitizer + UndefinedBehaviorSanitizer;
# and the preprocessing core's (native/test/preprocess_test.cc: random images through every mode and
# Roboflow step) and the results core's (native/test/results_test.cc), plain and under ASan + UBSan;
# and the TensorRT engine cache and build rules without TensorRT (native/test/engine_cache_test.cc: a
# stand-in builder, threads and processes racing for one engine), all three ways; and the CPU tensor
# allocator's block cache (native/test/block_cache_test.cc: reuse, the cap, threads), all three ways.
# Usage: scripts/native-tests.sh [plain|tsan|asan ...]   (default: all three). CI runs all three.
set -euo pipefail
cd "$(dirname "$0")/.."
CXX=${CXX:-g++}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
core=(native/core/scheduler.cc native/core/executor.cc native/core/openmp.cc native/core/thread_policy.cc native/core/team_governor.cc native/core/classifier.cc
         native/core/image.cc native/core/preprocess.cc native/core/roboflow_steps.cc native/core/postprocess.cc native/core/results.cc
         native/core/tensorrt/engine_cache.cc native/core/tensorrt/build_plan.cc native/core/tensorrt/build_progress.cc native/core/block_cache.cc)
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(plain tsan asan)
for mode in "${modes[@]}"; do
  case "$mode" in
    plain) flags=(-O2) ;;
    tsan) flags=(-O1 -g -fsanitize=thread) ;;
    asan) flags=(-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer) ;;
    *) echo "native-tests: unknown mode '$mode' (plain, tsan, asan)" >&2; exit 2 ;;
  esac
  tests=(scheduler_test engine_cache_test block_cache_test)
  [ "$mode" = tsan ] || tests+=(preprocess_test results_test)  # one thread: nothing for TSan to find
  for test in "${tests[@]}"; do
    "$CXX" -std=c++17 -Wall -Wextra -Werror -Wno-unused-parameter "${flags[@]}" -Inative/core -Inative/test "native/test/$test.cc" "${core[@]}" -pthread -o "$out/${test}_$mode"
    echo "native-tests: $test, $mode"
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" \
      UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" timeout 300 "$out/${test}_$mode"
  done
done
