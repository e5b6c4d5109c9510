// How many of the policy's compute threads (thread_policy.h) the next CPU
// batch uses: as many as other work leaves free.
//
// libtorch's OpenMP team waits at a barrier after every parallel loop for its
// slowest thread; when another process (or our own decoding) takes one of the
// team's cores while a batch runs, the whole team waits for the thread the
// kernel descheduled, and one busy neighbour made batch-1 calls 2–20x slower
// (README, "Threads and priority"). So the governor measures, with the
// kernel's own counters:
//  - while batches run: how long the team's threads were ready to run but
//    waited for a CPU (run-queue delay, /proc/self/task/<tid>/schedstat),
//    summed over the team and divided by the batches' wall time = how many
//    cores other work took from the team (`taken`);
//  - over the whole interval: how much CPU time the affinity mask's CPUs
//    spent idle (/proc/stat) = the cores a larger team would find (`idle`);
// and at most every kSampleInterval, before a batch, sizes the team
// (nextTeamSize): smaller when others took cores from it, larger again when
// cores stayed idle. Work that does not overlap the batches (decoding one
// caller's next image) costs the team nothing and does not shrink it.
//
// It also chooses the lane of the torch thread (executor.h) when the thread
// policy has a quiet lane: from the same /proc/stat interval, the CPU time
// that other processes used on the mask's CPUs (busy time less this
// process's own CPU time). While they use (next to) none, batches run on the
// quiet lane, below normal priority, so that this process's own JS thread
// and decoding threads preempt the compute team at once; as soon as other
// processes use the cores, on the normal lane, where the team competes with
// them at normal priority (niceness cannot be lowered again without a
// privilege, so the two lanes are two threads).
//
// It adapts only when nothing fixed the thread count (EDGE_CLASSIFY_THREADS, a
// model's `threads` option: those teams keep their size) and the counters are
// readable (Linux); otherwise the team is the policy's thread count.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <utility>
#include <vector>

namespace edge {

// The team size after a sample. `taken`: cores other work took from the team while it ran
// (negative: unknown); `idle`: cores that stayed idle over the interval (negative: unknown).
// Shrinks by one thread per core taken from 0.15 of a core on (0.15..1.15 → one less); grows when
// at least 0.7 of a core per added thread stayed idle (hysteresis: a shrunk team on busy cores
// finds no idle time, so it does not flip back); 1..`budget`.
int nextTeamSize(int current, int budget, double taken, double idle);

// The torch thread's lanes (executor.h): the normal lane at EDGE_CLASSIFY_NICE, the quiet one below it.
constexpr int kNormalLane = 0;
constexpr int kQuietLane = 1;

// The lane after a sample. `others`: cores other processes used over the interval (negative:
// unknown). To the quiet lane below kQuietBelow of a core, back to the normal lane from kNormalFrom
// on (hysteresis: a neighbour that comes and goes around one threshold does not flip the lane).
constexpr double kQuietBelow = 0.1;
constexpr double kNormalFrom = 0.25;
int nextLane(int current, double others);

struct TeamState {
  bool adaptive = false;  // false: fixed at the policy's thread count
  int size = 1;           // the team the next batch uses
  double takenCores = 0;  // what other work took from the team while it ran, at the last sample
  double idleCores = 0;   // what stayed idle over the last sample's interval
  long changes = 0;       // how often the size changed
  bool quietLane = false; // whether there is a quiet lane to choose
  int lane = kNormalLane; // the lane the next CPU batch runs on
  double othersCores = 0; // cores other processes used over the last sample's interval (negative: unknown)
  long laneChanges = 0;   // how often the lane changed
};

class TeamGovernor {
 public:
  static constexpr std::chrono::milliseconds kSampleInterval{200};
  // Batches shorter than this in all, within an interval, do not decide a shrink (too few to measure).
  static constexpr std::chrono::milliseconds kMinBatchTime{20};

  // budget: the policy's thread count; adaptive: whether the count may follow free cores;
  // quietLane: whether there is a quiet lane to choose (otherwise lane() stays kNormalLane).
  TeamGovernor(int budget, bool adaptive, bool quietLane = false);
  TeamGovernor(const TeamGovernor&) = delete;
  TeamGovernor& operator=(const TeamGovernor&) = delete;

  // One batch on the torch thread: the constructor decides the size (when an interval has
  // passed) and starts measuring; the destructor adds the batch's wall time and run-queue delay.
  class Batch {
   public:
    // sizeTeam false: a batch of a team of fixed size (a model's `threads` option), which only
    // gives the lane decision its chance and does not count toward the team's measurement.
    explicit Batch(TeamGovernor& governor, bool sizeTeam = true);
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    int size() const { return size_; }

   private:
    TeamGovernor& governor_;
    bool measured_ = false;
    int size_;
    std::chrono::steady_clock::time_point start_;
    double delay_ = 0;
  };

  // The team size now (any thread; for CPU preprocessing).
  int size() const { return size_.load(std::memory_order_relaxed); }
  // The lane the next batch runs on (any thread; the torch thread's chooser).
  int lane() const { return lane_.load(std::memory_order_relaxed); }
  bool hasQuietLane() const { return quietLane_; }
  TeamState state() const;

  // True while threads of the calling thread's team of `size` may not all have joined yet (then
  // run a parallel loop of `size` items, each calling joinTeam(), and then markJoined(size)). Each
  // worker of the torch thread has a team of its own.
  bool needsJoin(int size) const;
  // The calling thread is a member of the compute team from now on (idempotent).
  void joinTeam();
  // The calling thread's team of `size` has joined.
  void markJoined(int size);
  // The calling thread's team is gone (openmp.h): its next one joins anew.
  void forgetJoined();

 private:
  // An open file descriptor, closed with its owner.
  class Fd {
   public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
    int get() const { return fd_; }

   private:
    int fd_;
  };
  struct Member {
    long tid;
    Fd schedstat;  // its /proc/self/task/<tid>/schedstat
  };
  // readable: whether the kernel's counters can be read (countersReadable(), checked once).
  TeamGovernor(int budget, bool adaptive, bool quietLane, bool readable);
  int decide();             // mutex_ held
  void decideLane(double wall);  // mutex_ held; wall: the sample's seconds
  double teamDelay();       // run-queue seconds summed over the members (mutex_ held)

  const int budget_;
  const bool adaptive_;
  const bool quietLane_;
  std::atomic<int> size_;
  std::atomic<int> lane_{kNormalLane};
  mutable std::mutex mutex_;
  std::vector<Member> members_;
  std::vector<std::pair<long, int>> joined_;  // master thread → the team size that joined
  bool primed_ = false;
  std::chrono::steady_clock::time_point lastSample_{};
  double lastIdle_ = 0;  // idle CPU seconds of the mask's CPUs at the last sample
  int measuredCpus_ = 0;
  double batchSeconds_ = 0, delaySeconds_ = 0;  // of the batches since the last sample
  double lastSelfCpu_ = 0;  // this process's CPU seconds at the last sample
  double takenCores_ = 0, idleCores_ = 0, othersCores_ = -1;
  long changes_ = 0, laneChanges_ = 0;
};

// The governor of the torch thread's team (budget, adaptivity and lanes from threadPolicy()).
TeamGovernor& teamGovernor();

// Idle CPU seconds (idle + iowait) summed over the CPUs of this process's affinity mask, from
// /proc/stat; false when it cannot be read. *cpus: how many CPUs.
bool readIdleCpuSeconds(double* idle, int* cpus);

}  // namespace edge
