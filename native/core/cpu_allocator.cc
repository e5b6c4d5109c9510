#include "cpu_allocator.h"

#include "thread_policy.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <atomic>
#include <memory>

namespace edge {

namespace {

constexpr size_t kMiB = size_t{1} << 20;
constexpr int kDefaultCapMiB = 512;

struct Setting {
  size_t capBytes = 0;
  std::string from = "default";
};

Setting readSetting() {
  bool set = false;
  const int mb = envInt("EDGE_CLASSIFY_CPU_CACHE_MB", 0, 1 << 20, kDefaultCapMiB, &set);
  Setting s;
  s.capBytes = static_cast<size_t>(mb) * kMiB;
  if (set) s.from = mb == 0 ? "EDGE_CLASSIFY_CPU_CACHE_MB=0: libtorch's own allocator" : "EDGE_CLASSIFY_CPU_CACHE_MB";
  return s;
}

const Setting& setting() {
  static const Setting s = readSetting();
  return s;
}

BlockCache& blocks() {
  // Immortal: libtorch frees tensors during the process's static destruction, after a static object
  // of ours would be gone.
  static BlockCache& cache = *std::make_unique<BlockCache>([](size_t n) { return c10::alloc_cpu(n); }, [](void* p) { c10::free_cpu(p); },
                                                           kMiB, size_t{1} << 16, setting().capBytes)
                                  .release();
  return cache;
}

void freeBlock(void* data) { blocks().release(data); }

class CachingCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) override {
    void* data = n == 0 ? nullptr : blocks().acquire(n);  // alloc_cpu throws c10::Error when out of memory
    return {data, data, &freeBlock, c10::Device(c10::DeviceType::CPU)};
  }
  // one deleter for every size: libtorch's raw_allocate / raw_deallocate (its MKLDNN conversions) need one
  c10::DeleterFnPtr raw_deleter() const override { return &freeBlock; }
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
};

std::atomic<bool>& installed() {
  static std::atomic<bool> value{false};
  return value;
}

}  // namespace

void installCpuCache() {
  static const bool done = [] {
    if (setting().capBytes == 0) return false;
    // immortal too: libtorch may allocate while the process's static objects are destroyed
    static CachingCpuAllocator& allocator = *std::make_unique<CachingCpuAllocator>().release();
    c10::SetCPUAllocator(&allocator, /*priority=*/1);
    installed().store(true);
    return true;
  }();
  (void)done;
}

void trimCpuCache() {
  if (installed().load()) blocks().trim();
}

CpuCacheInfo cpuCacheInfo() {
  CpuCacheInfo info;
  info.enabled = installed().load();
  info.from = setting().from;
  if (info.enabled) info.stats = blocks().stats();
  info.stats.capBytes = setting().capBytes;
  return info;
}

}  // namespace edge
