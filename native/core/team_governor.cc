#include "team_governor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
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

int nextLane(int current, double others) {
  if (!std::isfinite(others) || others < 0) return current;
  if (others >= kNormalFrom) return kNormalLane;
  if (others < kQuietBelow) return kQuietLane;
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

// CPU seconds this process's threads have used (negative when unknown).
double processCpuSeconds() {
  timespec t{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) != 0) return -1;
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

long currentTid() {
#ifdef __linux__
  return static_cast<long>(syscall(SYS_gettid));
#else
  return 0;
#endif
}

// A sample longer than this (the process had no batches for a while) averages over too much to move
// to the quiet lane on: a neighbour that used a core for part of it reads as a fraction of a core.
constexpr double kLongestQuietSample = 1.0;

bool countersReadable() {
#ifdef __linux__
  double idle = 0;
  int cpus = 0;
  if (!readIdleCpuSeconds(&idle, &cpus)) return false;
  const int fd = openSchedstat(currentTid());
  if (fd < 0) return false;
  const bool ok = readDelay(fd) >= 0;
  close(fd);
  return ok;
#else
  return false;
#endif
}

}  // namespace

TeamGovernor::TeamGovernor(int budget, bool adaptive, bool quietLane) : TeamGovernor(budget, adaptive, quietLane, countersReadable()) {}

TeamGovernor::TeamGovernor(int budget, bool adaptive, bool quietLane, bool readable)
    : budget_(std::max(1, budget)),
      adaptive_(adaptive && budget > 1 && readable),
      quietLane_(quietLane && readable && processCpuSeconds() >= 0),
      size_(std::max(1, budget)) {}

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

TeamGovernor::Batch::Batch(TeamGovernor& governor, bool sizeTeam) : governor_(governor), size_(governor.budget_) {
  if (!governor_.adaptive_ && !governor_.quietLane_) return;
  std::lock_guard<std::mutex> lock(governor_.mutex_);
  const int size = governor_.decide();
  if (!governor_.adaptive_ || !sizeTeam) return;
  size_ = size;
  measured_ = true;
  delay_ = governor_.teamDelay();
  start_ = std::chrono::steady_clock::now();
}

TeamGovernor::Batch::~Batch() {
  if (!measured_) return;
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
  const double self = processCpuSeconds();
  if (!primed_ || cpus != measuredCpus_) {  // first sample, or the mask changed: a new baseline
    primed_ = true;
    measuredCpus_ = cpus;
    lastIdle_ = idle;
    lastSelfCpu_ = self;
    lastSample_ = now;
    batchSeconds_ = delaySeconds_ = 0;
    return current;
  }
  const double wall = std::chrono::duration<double>(now - lastSample_).count();
  const double idleSeconds = std::max(0.0, idle - lastIdle_);
  const bool measured = batchSeconds_ >= std::chrono::duration<double>(kMinBatchTime).count();
  takenCores_ = measured ? delaySeconds_ / batchSeconds_ : -1;
  idleCores_ = idleSeconds / wall;
  // the mask's CPUs were busy for wall * cpus - idle seconds, this process for (self - lastSelfCpu_) of them
  othersCores_ = self >= 0 && lastSelfCpu_ >= 0 ? std::max(0.0, wall * cpus - idleSeconds - (self - lastSelfCpu_)) / wall : -1;
  lastIdle_ = idle;
  lastSelfCpu_ = self;
  lastSample_ = now;
  batchSeconds_ = delaySeconds_ = 0;
  if (quietLane_) decideLane(wall);
  if (!adaptive_) return current;
  const int next = nextTeamSize(current, std::min(budget_, cpus), takenCores_, idleCores_);
  if (next != current) {
    size_.store(next, std::memory_order_relaxed);
    ++changes_;
    if (next > current) joined_.clear();  // a grown team may have new threads: they join again
  }
  return next;
}

void TeamGovernor::decideLane(double wall) {
  const int current = lane_.load(std::memory_order_relaxed);
  int next = nextLane(current, othersCores_);
  if (next == kQuietLane && current != kQuietLane && wall > kLongestQuietSample) next = current;
  if (next != current) {
    lane_.store(next, std::memory_order_relaxed);
    ++laneChanges_;
  }
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
  s.quietLane = quietLane_;
  s.lane = lane_.load(std::memory_order_relaxed);
  s.othersCores = othersCores_;
  s.laneChanges = laneChanges_;
  return s;
}

bool TeamGovernor::needsJoin(int size) const {
  if (!adaptive_) return false;
  const long master = currentTid();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [tid, joined] : joined_)
    if (tid == master) return size > joined;
  return true;
}

void TeamGovernor::markJoined(int size) {
  if (!adaptive_) return;
  const long master = currentTid();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [tid, joined] : joined_) {
    if (tid != master) continue;
    joined = std::max(joined, size);
    return;
  }
  joined_.emplace_back(master, size);
}

void TeamGovernor::forgetJoined() {
  const long master = currentTid();
  std::lock_guard<std::mutex> lock(mutex_);
  joined_.erase(std::remove_if(joined_.begin(), joined_.end(), [master](const std::pair<long, int>& j) { return j.first == master; }), joined_.end());
}

void TeamGovernor::joinTeam() {
#ifdef __linux__
  if (!adaptive_) return;
  const long tid = currentTid();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Member& m : members_)
    if (m.tid == tid) return;
  Fd schedstat(openSchedstat(tid));
  if (schedstat.get() >= 0) members_.push_back(Member{tid, std::move(schedstat)});
#endif
}

TeamGovernor& teamGovernor() {
  static TeamGovernor governor(threadPolicy().threads, threadPolicy().threadsFrom != "EDGE_CLASSIFY_THREADS",
                               threadPolicy().quietNiceness > threadPolicy().niceness);
  return governor;
}

}  // namespace edge
