// A bounded cache of large memory blocks, for reuse instead of a fresh allocation: the policy of
// the CPU tensor allocator (cpu_allocator.h), apart from libtorch so that it can be tested alone.
// Thread-safe. Plain C++: no Node, no libtorch here.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace edge {

struct BlockCacheStats {
  size_t capBytes = 0;     // most bytes kept free
  size_t cachedBytes = 0;  // kept, free for reuse
  size_t liveBytes = 0;    // handed out by acquire() and not yet released
  size_t hits = 0;         // acquire() served from the cache
  size_t misses = 0;       // acquire() that allocated
};

class BlockCache {
 public:
  using Allocate = std::function<void*(size_t)>;  // may throw; never returns null for size > 0
  using Free = std::function<void(void*)>;

  // Requests of at least `minBytes` are cached, rounded up to a multiple of `granule`; at most
  // `capBytes` are kept free (0: nothing is kept).
  BlockCache(Allocate allocate, Free free, size_t minBytes, size_t granule, size_t capBytes);
  ~BlockCache();  // frees the free blocks; live ones stay the caller's
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // A block of at least `bytes`: a kept one of the same rounded size up to 1/4 larger, else a new one.
  // Below minBytes, allocate(bytes) directly.
  void* acquire(size_t bytes);
  // Gives back a block from acquire() (or one it did not hand out, which is freed). Kept while the
  // free blocks fit in the cap; the oldest kept blocks are freed to make room.
  void release(void* block);
  // Frees every kept block.
  void trim();
  BlockCacheStats stats() const;

 private:
  struct Kept {
    void* block;
    size_t size;
    unsigned long long order;  // when it was kept: the oldest go first
  };
  void evictOldest(std::vector<void*>& out);

  Allocate allocate_;
  Free free_;
  const size_t minBytes_, granule_, capBytes_;
  mutable std::mutex mutex_;
  std::multimap<size_t, Kept> kept_;          // by size
  std::map<unsigned long long, size_t> age_;  // order -> size (the kept_ entry with that order)
  std::unordered_map<void*, size_t> live_;    // large blocks handed out, with their sizes
  unsigned long long next_ = 0;
  BlockCacheStats stats_;
};

}  // namespace edge
