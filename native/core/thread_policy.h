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
// Priority: the torch thread and the threads it starts run `niceness` below
// normal (EDGE_CLASSIFY_NICE = 0..19; default 0). +5, with the JS thread's short
// slice (js_thread.h), lets the event loop preempt the compute team at once (its
// p99 under 2 ms at 1..256 callers on a 2-core box), but when other processes
// keep every core busy the team then gets a smaller share: 1.8-2.7x slower
// batch-1 calls with two busy neighbours on 2 cores. Niceness cannot be lowered
// again without a privilege, so it cannot follow the load: 0 stays the default,
// +5 is for a box this process has to itself. At +10 (the default before issue
// 12, with OpenMP's active waiting and a fixed team) one busy neighbour made
// batch-1 calls 30x slower. (README, "Threads and priority".)
#pragma once

#include <string>

namespace edge {

struct ThreadPolicy {
  int cores = 1;               // the CPUs this process may use (affinity, capped by a cgroup quota)
  std::string coresFrom;       // "affinity", "cgroup v2 cpu.max", "cgroup v1 cfs quota", "hardware"
  int threads = 1;             // compute threads (libtorch intra-op, CPU preprocessing)
  std::string threadsFrom;     // "cores" or "EDGE_CLASSIFY_THREADS"
  int niceness = 0;            // of the torch thread and the threads it starts
  std::string nicenessFrom;    // "default" or "EDGE_CLASSIFY_NICE"
  std::string waitPolicy;      // OMP_WAIT_POLICY as libtorch's OpenMP runtime saw it at start ("" = its default)
};

// Computed on first use; an invalid EDGE_CLASSIFY_* value is reported on stderr and the default kept.
const ThreadPolicy& threadPolicy();

// The default niceness of the compute threads (see the README's "Threads and priority").
constexpr int kDefaultNiceness = 0;

}  // namespace edge
