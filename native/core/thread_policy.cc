#include "thread_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#ifdef __linux__
#include <sched.h>
#endif

namespace edge {

namespace {

// A whole number from `lo` to `hi` in the environment variable `name` (`*set`), else `fallback`.
int envInt(const char* name, int lo, int hi, int fallback, bool* set) {
  const char* text = std::getenv(name);
  *set = false;
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end == '\0' && value >= lo && value <= hi) {
    *set = true;
    return static_cast<int>(value);
  }
  std::fprintf(stderr, "edge-classify: %s='%s' is not a whole number from %d to %d; using %d\n", name, text, lo, hi, fallback);
  return fallback;
}

int affinityCores() {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return 0;
}

// The cgroup CPU quota in cores (rounded up), or 0 when there is none.
int quotaCores(std::string* from) {
  {
    std::ifstream v2("/sys/fs/cgroup/cpu.max");
    std::string quota;
    double period = 0;
    if (v2 >> quota >> period && quota != "max" && period > 0) {
      *from = "cgroup v2 cpu.max";
      return std::max(1, static_cast<int>(std::ceil(std::strtod(quota.c_str(), nullptr) / period)));
    }
  }
  std::ifstream quotaFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
  std::ifstream periodFile("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  double quota = -1, period = 0;
  if (quotaFile >> quota && periodFile >> period && quota > 0 && period > 0) {
    *from = "cgroup v1 cfs quota";
    return std::max(1, static_cast<int>(std::ceil(quota / period)));
  }
  return 0;
}

ThreadPolicy decide() {
  ThreadPolicy p;
  const int affinity = affinityCores();
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  p.cores = affinity > 0 ? affinity : hardware;
  p.coresFrom = affinity > 0 ? "affinity" : "hardware";
  std::string quotaFrom;
  const int quota = quotaCores(&quotaFrom);
  if (quota > 0 && quota < p.cores) {
    p.cores = quota;
    p.coresFrom = quotaFrom;
  }
  bool set = false;
  p.threads = envInt("EDGE_CLASSIFY_THREADS", 1, 1024, p.cores, &set);
  p.threadsFrom = set ? "EDGE_CLASSIFY_THREADS" : "cores";
  p.niceness = envInt("EDGE_CLASSIFY_NICE", 0, 19, kDefaultNiceness, &set);
  p.nicenessFrom = set ? "EDGE_CLASSIFY_NICE" : "default";
  const char* wait = std::getenv("OMP_WAIT_POLICY");
  p.waitPolicy = wait ? wait : "";
  return p;
}

}  // namespace

const ThreadPolicy& threadPolicy() {
  static const ThreadPolicy policy = decide();
  return policy;
}

}  // namespace edge
