#include "thread_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#ifdef __linux__
#include <sched.h>
#endif

namespace edge {

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

namespace {

int affinityCores() {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return 0;
}

// This process's cgroup path for the v1 controller `controller` ("cpu"), or for v2 (controller ""),
// from /proc/self/cgroup ("4:cpu,cpuacct:/system.slice/x.service", "0::/user.slice").
std::string cgroupPath(const std::string& controller) {
  std::ifstream file("/proc/self/cgroup");
  std::string line;
  while (std::getline(file, line)) {
    const size_t first = line.find(':');
    const size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controller.empty()) {
      if (line.compare(0, first, "0") == 0 && controllers.empty()) return path;
      continue;
    }
    std::stringstream list(controllers);
    std::string name;
    while (std::getline(list, name, ','))
      if (name == controller) return path;
  }
  return "";
}

// The folders from the process's own cgroup up to the mount's root ("/sys/fs/cgroup/cpu/a/b",
// "/sys/fs/cgroup/cpu/a", "/sys/fs/cgroup/cpu"): a quota anywhere on the way limits the process.
// (Inside a container's cgroup namespace the path is "/" and the mount is the container's own.)
std::vector<std::string> cgroupFolders(const std::string& mount, std::string path) {
  std::vector<std::string> folders;
  while (!path.empty() && path != "/") {
    folders.push_back(mount + path);
    path = path.substr(0, path.rfind('/'));
  }
  folders.push_back(mount);
  return folders;
}

// The tightest cgroup CPU quota on the process's way up its hierarchy, in cores (rounded up), or 0 when there is none.
int quotaCores(std::string* from) {
  double tightest = 0;
  auto take = [&](double cores, const char* what) {
    if (cores > 0 && (tightest == 0 || cores < tightest)) {
      tightest = cores;
      *from = what;
    }
  };
  const std::string v2 = cgroupPath("");
  for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    if (v2.empty()) break;
    for (const std::string& folder : cgroupFolders(mount, v2)) {
      std::ifstream max(folder + "/cpu.max");
      std::string quota;
      double period = 0;
      if (max >> quota >> period && quota != "max" && period > 0) take(std::strtod(quota.c_str(), nullptr) / period, "cgroup v2 cpu.max");
    }
  }
  const std::string v1 = cgroupPath("cpu");
  for (const char* mount : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
    for (const std::string& folder : cgroupFolders(mount, v1)) {
      std::ifstream quotaFile(folder + "/cpu.cfs_quota_us");
      std::ifstream periodFile(folder + "/cpu.cfs_period_us");
      double quota = -1, period = 0;
      if (quotaFile >> quota && periodFile >> period && quota > 0 && period > 0) take(quota / period, "cgroup v1 cfs quota");
    }
  }
  return tightest > 0 ? std::max(1, static_cast<int>(std::ceil(tightest - 1e-9))) : 0;
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
  // EDGE_CLASSIFY_NICE alone fixes the one lane (as it did before there were two)
  const int quietDefault = set ? p.niceness : kDefaultQuietNiceness;
  p.quietNiceness = envInt("EDGE_CLASSIFY_QUIET_NICE", 0, 19, quietDefault, &set);
  p.quietNicenessFrom = set ? "EDGE_CLASSIFY_QUIET_NICE" : p.nicenessFrom;
  if (p.quietNiceness < p.niceness) p.quietNiceness = p.niceness;
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
