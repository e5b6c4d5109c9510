// libtorch's CPU allocator, with the large blocks kept for reuse (block_cache.h).
//
// A CPU batch allocates its activations afresh for every operator (a batch of 32 frames through
// mobilenet_v3_small: tens of MB). glibc serves blocks that large from per-thread arenas of at most
// 64 MB or from mmap, and gives them back to the kernel when they are freed, so every batch faulted
// its pages in again: ~28,000 page faults per batch of 32 on the quiet lane (whose thread's arena is
// not the one the model loaded in) and a third of the batch's time. Blocks of 1 MiB and more are kept
// when freed, up to a cap, and handed out again; smaller ones go straight to libtorch's allocation.
// Plain C++ and libtorch: no Node here.
#pragma once

#include <string>

#include "block_cache.h"

namespace edge {

struct CpuCacheInfo {
  bool enabled = false;
  std::string from;  // "default", "EDGE_CLASSIFY_CPU_CACHE_MB", or why it is off
  BlockCacheStats stats;
};

// Makes the caching allocator libtorch's CPU allocator, once per process (later calls do nothing):
// at most EDGE_CLASSIFY_CPU_CACHE_MB (default 512; 0 leaves libtorch's allocator alone) kept free.
void installCpuCache();
// Frees every kept block (a model was disposed: its sizes may not come again).
void trimCpuCache();
CpuCacheInfo cpuCacheInfo();

}  // namespace edge
