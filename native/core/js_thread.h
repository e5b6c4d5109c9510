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

// The default: 100 µs, the kernel's shortest. It costs the compute threads no share (no priority
// changes hands) and takes ~1-2 ms off the event loop's p99 under load; with the compute team on the
// torch thread's quiet lane as well (executor.h) the p99 stays under 2 ms at 1..256 callers on a
// 2-core box (README, "Threads and priority"). EDGE_CLASSIFY_JS_SLICE_US=0 leaves the JS thread alone.
constexpr int kDefaultJsSliceUs = 100;

// Asks the kernel for EDGE_CLASSIFY_JS_SLICE_US (default kDefaultJsSliceUs; 0 = leave alone) µs as the
// calling thread's slice, keeping its policy and niceness; only for the normal and batch policies.
// Call once on each JS thread (the addon does, when an environment loads it).
JsThreadSlice applyJsThreadSlice();

}  // namespace edge
