// The CPU tensor allocator's block cache without libtorch (native/core/block_cache.h): blocks reused
// by rounded size, small requests passed through, the cap kept by freeing the oldest kept blocks,
// trim, and threads acquiring and releasing at once — built plain, under ThreadSanitizer and under
// AddressSanitizer+UBSan (which also see every block freed exactly once) by scripts/native-tests.sh.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "block_cache.h"
#include "check.h"

using namespace edge;

namespace {

constexpr size_t kMiB = size_t{1} << 20;

struct Counted {
  std::atomic<int> allocations{0}, frees{0};
  BlockCache::Allocate allocate() {
    return [this](size_t n) {
      ++allocations;
      return std::malloc(n > 0 ? n : 1);
    };
  }
  BlockCache::Free free() {
    return [this](void* p) {
      ++frees;
      std::free(p);
    };
  }
};

void reuse() {
  Counted c;
  {
    BlockCache cache(c.allocate(), c.free(), kMiB, 64 * 1024, 16 * kMiB);
    void* a = cache.acquire(3 * kMiB + 5);
    std::memset(a, 1, 3 * kMiB + 5);  // the whole request is usable (ASan checks the bounds)
    cache.release(a);
    CHECK(cache.stats().cachedBytes == 3 * kMiB + 64 * 1024);  // rounded up to the granule
    void* b = cache.acquire(3 * kMiB);  // the same rounded size: the kept block
    CHECK(b == a);
    CHECK(cache.stats().hits == 1 && cache.stats().misses == 1);
    CHECK(cache.stats().cachedBytes == 0 && cache.stats().liveBytes == 3 * kMiB + 64 * 1024);
    void* larger = cache.acquire(4 * kMiB);  // more than the kept block: a new one
    CHECK(larger != b);
    cache.release(b);
    void* smaller = cache.acquire(2 * kMiB + 700 * 1024);  // the kept block is at most 1/4 larger: taken
    CHECK(smaller == b);
    void* tiny = cache.acquire(2 * kMiB);  // nothing kept fits within 1/4: new
    CHECK(tiny != b && tiny != larger);
    cache.release(smaller);
    cache.release(larger);
    cache.release(tiny);
    CHECK(cache.stats().liveBytes == 0);
    CHECK(c.allocations == 3 && c.frees == 0);
  }
  CHECK(c.frees == 3);  // the destructor freed what was kept
}

void small() {
  Counted c;
  BlockCache cache(c.allocate(), c.free(), kMiB, 64 * 1024, 16 * kMiB);
  void* p = cache.acquire(1000);
  cache.release(p);  // below the minimum: freed at once, never kept
  CHECK(c.frees == 1 && cache.stats().cachedBytes == 0 && cache.stats().misses == 0);
  cache.release(nullptr);
  CHECK(c.frees == 1);
}

void cap() {
  Counted c;
  BlockCache cache(c.allocate(), c.free(), kMiB, kMiB, 5 * kMiB);
  void* a = cache.acquire(2 * kMiB);
  void* b = cache.acquire(2 * kMiB);
  void* d = cache.acquire(3 * kMiB);
  void* huge = cache.acquire(6 * kMiB);
  cache.release(a);
  cache.release(b);
  CHECK(cache.stats().cachedBytes == 4 * kMiB);
  cache.release(d);  // 7 MiB would be kept: the oldest (a) goes
  CHECK(cache.stats().cachedBytes == 5 * kMiB && c.frees == 1);
  CHECK(cache.acquire(2 * kMiB) == b);  // b stayed, a went
  cache.release(huge);  // larger than the cap: freed, and nothing else evicted for it
  CHECK(c.frees == 2 && cache.stats().cachedBytes == 3 * kMiB);
  cache.trim();
  CHECK(cache.stats().cachedBytes == 0 && c.frees == 3);
  cache.release(b);
  CHECK(cache.stats().liveBytes == 0);

  Counted off;
  BlockCache none(off.allocate(), off.free(), kMiB, kMiB, 0);  // a cap of 0 keeps nothing
  none.release(none.acquire(4 * kMiB));
  CHECK(off.frees == 1 && none.stats().cachedBytes == 0);
}

void threads() {
  Counted c;
  {
    BlockCache cache(c.allocate(), c.free(), kMiB, 64 * 1024, 24 * kMiB);
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&cache, t] {
        for (int i = 0; i < 300; ++i) {
          const size_t n = (1 + (i + t) % 5) * kMiB + static_cast<size_t>(i % 3) * 1000;
          auto* block = static_cast<unsigned char*>(cache.acquire(n));
          block[0] = static_cast<unsigned char>(t);
          block[n - 1] = static_cast<unsigned char>(i);
          cache.release(block);
        }
      });
    }
    for (auto& w : workers) w.join();
    const BlockCacheStats s = cache.stats();
    CHECK(s.liveBytes == 0);
    CHECK(s.cachedBytes <= 24 * kMiB);
    CHECK(s.hits + s.misses == 1200);
    CHECK(s.hits > 0);
  }
  CHECK(c.allocations == c.frees);
}

}  // namespace

int main() {
  reuse();
  small();
  cap();
  threads();
  if (failures > 0) {
    std::fprintf(stderr, "block_cache_test: %d checks failed\n", failures);
    return 1;
  }
  std::printf("block_cache_test: all checks passed\n");
  return 0;
}
