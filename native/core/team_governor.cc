#include "team_governor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "thread_policy.h"

#ifdef __linux__
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace edge {

namespace {
constexpr double kShrinkFrom = 0.15;  // cores taken from the team before it shrinks
constexpr double kGrowFrom = 0.7;     // idle cores per added thread before it grows
}  // namespace

int nextTeamSize(int current, int budget, double taken, double idle) {
  budget = std::max(1, budget);
  current = std::clamp(current, 1, budget);
  if (std::isfinite(taken) && taken >= 0) {
    // one thread less per core taken, from 0.15 of a core on: a stalled member stalls the whole team at its next
    // barrier, so little delay costs much (measured: with one busy neighbour on 2 cores, 0.2 of a core taken made
    // a team of 2 slower than a team of 1 by 1.8x)
    const int keep = current - static_cast<int>(std::max(0.0, std::ceil(taken - kShrinkFrom)));
    if (keep < current) return std::max(1, keep);
  }
  if (std::isfinite(idle) && idle >= 0) {
    const int grow = static_cast<int>(std::floor(current + idle + (1 - kGrowFrom)));
    if (grow > current) return std::min(budget, grow);
  }
  return current;
}

bool readIdleCpuSeconds(double* idle, int* cpus) {
#ifdef __linux__
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return false;
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return false;
  std::FILE* file = std::fopen("/proc/stat", "re");
  if (file == nullptr) return false;
  char line[512];
  unsigned long long total = 0;
  int counted = 0;
  while (std::fgets(line, sizeof(line), file) != nullptr) {
    if (std::strncmp(line, "cpu", 3) != 0) {
      if (counted > 0) break;  // the cpuN lines come first, together
      continue;
    }
    if (line[3] < '0' || line[3] > '9') continue;  // the "cpu" total line
    unsigned cpu = 0;
    unsigned long long user = 0, nice = 0, system = 0, idleTicks = 0, iowait = 0;
    if (std::sscanf(line + 3, "%u %llu %llu %llu %llu %llu", &cpu, &user, &nice, &system, &idleTicks, &iowait) < 5) continue;
    if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &mask)) continue;
    total += idleTicks + iowait;
    ++counted;
  }
  std::fclose(file);
  if (counted == 0) return false;
  *idle = static_cast<double>(total) / static_cast<double>(ticks);
  *cpus = counted;
  return true;
#else
  (void)idle;
  (void)cpus;
  return false;
#endif
}

namespace {

#ifdef __linux__
// Run-queue delay in seconds from a schedstat file ("<cpu ns> <wait ns> <slices>"); negative when unreadable.
double readDelay(int fd) {
  char text[96];
  const ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
  if (n <= 0) return -1;
  text[n] = '\0';
  unsigned long long cpu = 0, wait = 0;
  if (std::sscanf(text, "%llu %llu", &cpu, &wait) != 2) return -1;
  return static_cast<double>(wait) * 1e-9;
}

int openSchedstat(long tid) {
  const std::string path = "/proc/self/task/" + std::to_string(tid) + "/schedstat";
  return open(path.c_str(), O_RDONLY | O_CLOEXEC);
}
#endif

bool countersReadable() {
#ifdef __linux__
  double idle = 0;
  int cpus = 0;
  if (!readIdleCpuSeconds(&idle, &cpus)) return false;
  const int fd = openSchedstat(static_cast<long>(syscall(SYS_gettid)));
  if (fd < 0) return false;
  const bool ok = readDelay(fd) >= 0;
  close(fd);
  return ok;
#else
  return false;
#endif
}

}  // namespace

TeamGovernor::TeamGovernor(int budget, bool adaptive)
    : budget_(std::max(1, budget)), adaptive_(adaptive && budget > 1 && countersReadable()), size_(std::max(1, budget)) {}

TeamGovernor::Fd& TeamGovernor::Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    Fd gone(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

TeamGovernor::Fd::~Fd() {
#ifdef __linux__
  if (fd_ >= 0) close(fd_);
#endif
}

TeamGovernor::Batch::Batch(TeamGovernor& governor) : governor_(governor), size_(governor.budget_) {
  if (!governor_.adaptive_) return;
  std::lock_guard<std::mutex> lock(governor_.mutex_);
  size_ = governor_.decide();
  delay_ = governor_.teamDelay();
  start_ = std::chrono::steady_clock::now();
}

TeamGovernor::Batch::~Batch() {
  if (!governor_.adaptive_) return;
  const auto end = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(governor_.mutex_);
  governor_.batchSeconds_ += std::chrono::duration<double>(end - start_).count();
  governor_.delaySeconds_ += std::max(0.0, governor_.teamDelay() - delay_);
}

int TeamGovernor::decide() {
  const auto now = std::chrono::steady_clock::now();
  const int current = size_.load(std::memory_order_relaxed);
  if (primed_ && now - lastSample_ < kSampleInterval) return current;
  double idle = 0;
  int cpus = 0;
  if (!readIdleCpuSeconds(&idle, &cpus)) return current;
  if (!primed_ || cpus != measuredCpus_) {  // first sample, or the mask changed: a new baseline
    primed_ = true;
    measuredCpus_ = cpus;
    lastIdle_ = idle;
    lastSample_ = now;
    batchSeconds_ = delaySeconds_ = 0;
    return current;
  }
  const double wall = std::chrono::duration<double>(now - lastSample_).count();
  const bool measured = batchSeconds_ >= std::chrono::duration<double>(kMinBatchTime).count();
  takenCores_ = measured ? delaySeconds_ / batchSeconds_ : -1;
  idleCores_ = std::max(0.0, idle - lastIdle_) / wall;
  lastIdle_ = idle;
  lastSample_ = now;
  batchSeconds_ = delaySeconds_ = 0;
  const int next = nextTeamSize(current, std::min(budget_, cpus), takenCores_, idleCores_);
  if (next != current) {
    size_.store(next, std::memory_order_relaxed);
    ++changes_;
    if (next > current) joinedUpTo_ = 0;  // a grown team may have new threads: they join again
  }
  return next;
}

double TeamGovernor::teamDelay() {
  double total = 0;
#ifdef __linux__
  for (auto it = members_.begin(); it != members_.end();) {
    const double delay = readDelay(it->schedstat.get());
    if (delay < 0) {  // the thread ended
      it = members_.erase(it);
      continue;
    }
    total += delay;
    ++it;
  }
#endif
  return total;
}

TeamState TeamGovernor::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  TeamState s;
  s.adaptive = adaptive_;
  s.size = size_.load(std::memory_order_relaxed);
  s.takenCores = std::max(0.0, takenCores_);
  s.idleCores = idleCores_;
  s.changes = changes_;
  return s;
}

bool TeamGovernor::needsJoin(int size) const {
  if (!adaptive_) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  return size > joinedUpTo_;
}

void TeamGovernor::joinTeam() {
#ifdef __linux__
  if (!adaptive_) return;
  const long tid = static_cast<long>(syscall(SYS_gettid));
  std::lock_guard<std::mutex> lock(mutex_);
  joinedUpTo_ = std::max(joinedUpTo_, size_.load(std::memory_order_relaxed));
  for (const Member& m : members_)
    if (m.tid == tid) return;
  Fd schedstat(openSchedstat(tid));
  if (schedstat.get() >= 0) members_.push_back(Member{tid, std::move(schedstat)});
#endif
}

TeamGovernor& teamGovernor() {
  static TeamGovernor governor(threadPolicy().threads, threadPolicy().threadsFrom != "EDGE_CLASSIFY_THREADS");
  return governor;
}

}  // namespace edge
