// The JavaScript thread's place among the compute threads. On a box with few cores the compute
// team keeps every core busy while a batch runs; the JS thread (timers, sockets, the next calls)
// then waits for a core when it wakes. Linux's EEVDF scheduler (6.6+; per-task slices from 6.12)
// lets a thread ask for a shorter time slice: a waking thread with a shorter slice than the running
// one preempts it at once (PREEMPT_SHORT), without a priority above the others — its share of CPU
// time stays what its niceness gives, so the compute team's throughput and its standing against
// other processes are unchanged. No privilege is needed. Older kernels ignore the request.
// Plain C++: no Node here.
#pragma once

#include <string>

namespace edge {

struct JsThreadSlice {
  int microseconds = 0;  // the slice asked for (0: left alone)
  std::string from;      // "default", "EDGE_CLASSIFY_JS_SLICE_US", or why it was not set
};

// The default: leave the JS thread alone (0). Asked for, 100 µs (the kernel's shortest) brought the
// event loop's p99 under 16 callers down by ~1-2 ms (README, "Threads and priority"), but it also
// changed how calls gather into batches, and the process's resident memory settled higher and later
// (test/70-batching's memory test: a median of ~11 MiB growth over a second 20,000 calls, against ~5
// without): opt in with EDGE_CLASSIFY_JS_SLICE_US=100 until that is understood.
constexpr int kDefaultJsSliceUs = 0;

// Asks the kernel for EDGE_CLASSIFY_JS_SLICE_US (default kDefaultJsSliceUs; 0 = leave alone) µs as the
// calling thread's slice, keeping its policy and niceness; only for the normal and batch policies.
// Call once on each JS thread (the addon does, when an environment loads it).
JsThreadSlice applyJsThreadSlice();

}  // namespace edge
