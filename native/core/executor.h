// A thread that runs the tasks given to it, one at a time: immediate tasks in
// order, timed tasks once their time has come.
//
// libtorch's CPU kernels parallelise with OpenMP, and OpenMP keeps one team of
// threads per thread that starts parallel work: when several long-lived
// threads run libtorch (libuv's pool, one thread per model), their idle teams
// slow each other down (`npm run bench`, mobilenet_v3_small batch 1 from a raw frame:
// 8.37 ms before this executor, 3.79 ms with it).
// So every CPU-side libtorch call of this process (loading, CPU batches of
// every model's scheduler, freeing a model) runs on one Executor, torchThread();
// a CUDA model's scheduler has executors of its own, one per lane.
//
// An executor may have several workers, each a thread at a niceness of its
// own, that take its tasks one at a time (never two at once, in order): a
// chooser says which worker takes the next one. torchThread() has two when
// the thread policy has a quiet lane (thread_policy.h): the normal lane at
// EDGE_CLASSIFY_NICE (default 0) and the quiet lane below it, chosen by the
// team's governor while no other process uses the cores (team_governor.h).
// The OpenMP and preprocessing threads a worker starts inherit its niceness.
// OpenMP keeps a team per worker, and libgomp makes every team spin less at
// its barriers while it manages more threads than there are CPUs (an idle
// team of the other lane counts): so a worker the chooser leaves frees its
// OpenMP team (openmp.h), and the lane that takes over starts its own.
//
// Stopping never strands a caller: stop() lets the running task finish and
// destroys the queued ones unrun, which breaks the promise of every call()
// waiting on them (the caller gets Error(Disposed)).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "error.h"

namespace edge {

class Executor {
 public:
  using Task = std::function<void()>;
  using Clock = std::chrono::steady_clock;
  // Which worker takes the next task (0..workers-1; larger: the last). Called with the executor's
  // lock held, from any thread: it must be cheap and must not use the executor.
  using Chooser = std::function<size_t()>;
  // Called on a worker, outside the lock, when the chooser has moved away from it after it ran
  // tasks (before it waits): it gives up what its tasks left behind on its thread.
  using Leave = std::function<void()>;

  // niceness > 0: the thread (and the threads it starts) runs that much below normal priority.
  explicit Executor(int niceness = 0);
  // One worker per niceness (at least one), taking the tasks one at a time as `choose` says.
  Executor(std::vector<int> nicenesses, Chooser choose, Leave leave = nullptr);
  ~Executor();  // stop()
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Finishes the task in progress, destroys the queued ones unrun and joins (from another thread);
  // later posts are refused. Idempotent; from the executor's own thread it only marks it stopping.
  void stop();
  // Queues a task; false (and the task destroyed unrun) once stopped.
  bool post(Task task);
  // Queues a task to run at `at` or later; false once stopped.
  bool postAt(Clock::time_point at, Task task);
  // True on any of its workers.
  bool onThread() const;
  size_t workers() const { return threads_.size(); }
  bool stopped() const;

  // Runs fn on this executor's thread and waits for it; its result or exception comes back here.
  // Called from the executor's own thread, fn runs inline. Throws Error(Disposed) when the executor
  // stops before fn ran.
  template <typename Fn>
  auto call(Fn&& fn) -> std::invoke_result_t<Fn&> {
    using Result = std::invoke_result_t<Fn&>;
    if (onThread()) return fn();
    // Owned by the queued task alone: destroying the task unrun breaks the promise.
    auto task = std::make_shared<std::packaged_task<Result()>>(std::forward<Fn>(fn));
    std::future<Result> result = task->get_future();
    if (!post([task = std::move(task)] { (*task)(); })) throw Error(ErrorCode::Disposed, "the process is exiting");
    try {
      return result.get();
    } catch (const std::future_error&) {
      throw Error(ErrorCode::Disposed, "the process is exiting");
    }
  }

 private:
  void loop(size_t worker);
  size_t chosen() const;  // mutex_ held

  const Chooser choose_;
  const Leave leave_;
  mutable std::mutex mutex_;
  std::deque<std::condition_variable> wakes_;  // one per worker
  std::vector<char> ranSinceLeave_;            // per worker: ran a task since its last leave_()
  std::deque<Task> tasks_;
  std::multimap<Clock::time_point, Task> timed_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// The process-wide executor of CPU-side libtorch work: one worker at threadPolicy().niceness, and a
// second at threadPolicy().quietNiceness when the policy has a quiet lane, taking the tasks while
// teamGovernor().lane() is kQuietLane; a lane that hands over frees its OpenMP team.
Executor& torchThread();

}  // namespace edge
