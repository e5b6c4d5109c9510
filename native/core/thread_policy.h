// How many threads the process computes with, how they wait and at what
// priority, decided once per process and reported with its reasons
// (buildInfo().threads in JS).
//
// Threads: one per core the process may really use — the CPUs of its
// affinity mask (taskset, cpusets), capped by the tightest cgroup CPU quota
// from its own cgroup up (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us /
// cfs_period_us; containers and systemd's CPUQuota= set one) — unless
// EDGE_CLASSIFY_THREADS says otherwise. libtorch's intra-op team and the CPU
// preprocessing share this one budget: they run one after the other on the
// torch thread, never both at once, so together they never oversubscribe the
// cores. How many of them a batch uses follows the cores other work leaves
// free (team_governor.h), unless EDGE_CLASSIFY_THREADS fixed the count.
//
// Waiting: OpenMP's own default (spin a while at a barrier, then sleep) unless
// OMP_WAIT_POLICY is set when the process starts. PASSIVE (sleep at once) helps
// a box whose cores are always busy with other processes, but costs batch-1
// latency on an idle one (measured: README, "Threads and priority").
//
// Priority: the torch thread has two lanes (executor.h), two threads that
// take its tasks one at a time: the normal lane at `niceness`
// (EDGE_CLASSIFY_NICE = 0..19; default 0) and the quiet lane at
// `quietNiceness` (EDGE_CLASSIFY_QUIET_NICE = 0..19; default 10). The team's
// governor runs batches on the quiet lane while no other process uses the
// cores (team_governor.h): then the compute team only competes with this
// process's own JS and decoding threads, and at +10 they preempt it at once
// (the event loop's p99 under 2 ms; measured: README, "Threads and
// priority"). When other processes use the cores, batches run on the normal
// lane, at the priority those processes have: at +5 or +10 the team got a
// third or less of a contended core (batch-1 calls 1.8-2.7x slower with two
// busy neighbours on 2 cores; at +10 with a fixed team, one neighbour made
// them 30x slower). Niceness cannot be lowered again without a privilege,
// hence two threads rather than one that changes its niceness. Setting
// EDGE_CLASSIFY_NICE alone, or a quiet niceness not above it, leaves one
// lane at `niceness`.
#pragma once

#include <string>

namespace edge {

struct ThreadPolicy {
  int cores = 1;               // the CPUs this process may use (affinity, capped by a cgroup quota)
  std::string coresFrom;       // "affinity", "cgroup v2 cpu.max", "cgroup v1 cfs quota", "hardware"
  int threads = 1;             // compute threads (libtorch intra-op, CPU preprocessing)
  std::string threadsFrom;     // "cores" or "EDGE_CLASSIFY_THREADS"
  int niceness = 0;            // of the torch thread's normal lane and the threads it starts
  std::string nicenessFrom;    // "default" or "EDGE_CLASSIFY_NICE"
  int quietNiceness = 0;       // of its quiet lane; not above `niceness`: there is no quiet lane
  std::string quietNicenessFrom;  // "default", "EDGE_CLASSIFY_QUIET_NICE", or "EDGE_CLASSIFY_NICE" (one lane)
  std::string waitPolicy;      // OMP_WAIT_POLICY as libtorch's OpenMP runtime saw it at start ("" = its default)
};

// Computed on first use; an invalid EDGE_CLASSIFY_* value is reported on stderr and the default kept.
const ThreadPolicy& threadPolicy();

// The default nicenesses of the torch thread's lanes (see the README's "Threads and priority").
constexpr int kDefaultNiceness = 0;
constexpr int kDefaultQuietNiceness = 10;

// A whole number from `lo` to `hi` in the environment variable `name` (`*set` true), else `fallback`
// (an invalid value is reported on stderr, "is not a whole number from lo to hi; using fallback").
int envInt(const char* name, int lo, int hi, int fallback, bool* set);

}  // namespace edge
