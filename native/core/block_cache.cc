#include "block_cache.h"

#include <utility>

namespace edge {

BlockCache::BlockCache(Allocate allocate, Free free, size_t minBytes, size_t granule, size_t capBytes)
    : allocate_(std::move(allocate)), free_(std::move(free)), minBytes_(minBytes), granule_(granule > 0 ? granule : 1), capBytes_(capBytes) {
  stats_.capBytes = capBytes;
}

BlockCache::~BlockCache() { trim(); }

void* BlockCache::acquire(size_t bytes) {
  if (bytes < minBytes_ || capBytes_ == 0) return allocate_(bytes);
  const size_t size = (bytes + granule_ - 1) / granule_ * granule_;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto at = kept_.lower_bound(size);
    if (at != kept_.end() && at->first <= size + size / 4) {
      const Kept kept = at->second;
      kept_.erase(at);
      age_.erase(kept.order);
      stats_.cachedBytes -= kept.size;
      stats_.liveBytes += kept.size;
      ++stats_.hits;
      live_.emplace(kept.block, kept.size);
      return kept.block;
    }
    ++stats_.misses;
  }
  void* block = allocate_(size);  // outside the lock: it may take a while, or throw
  std::lock_guard<std::mutex> lock(mutex_);
  live_.emplace(block, size);
  stats_.liveBytes += size;
  return block;
}

void BlockCache::evictOldest(std::vector<void*>& out) {
  const auto oldest = age_.begin();
  const auto range = kept_.equal_range(oldest->second);
  for (auto at = range.first; at != range.second; ++at) {
    if (at->second.order == oldest->first) {
      out.push_back(at->second.block);
      stats_.cachedBytes -= at->second.size;
      kept_.erase(at);
      break;
    }
  }
  age_.erase(oldest);
}

void BlockCache::release(void* block) {
  if (!block) return;
  std::vector<void*> freed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto live = live_.find(block);
    if (live == live_.end()) {
      freed.push_back(block);  // a small block
    } else {
      const size_t size = live->second;
      live_.erase(live);
      stats_.liveBytes -= size;
      if (size > capBytes_) {
        freed.push_back(block);
      } else {
        while (stats_.cachedBytes + size > capBytes_) evictOldest(freed);
        const unsigned long long order = next_++;
        kept_.emplace(size, Kept{block, size, order});
        age_.emplace(order, size);
        stats_.cachedBytes += size;
      }
    }
  }
  for (void* b : freed) free_(b);  // outside the lock
}

void BlockCache::trim() {
  std::vector<void*> freed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& entry : kept_) freed.push_back(entry.second.block);
    kept_.clear();
    age_.clear();
    stats_.cachedBytes = 0;
  }
  for (void* b : freed) free_(b);
}

BlockCacheStats BlockCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace edge
