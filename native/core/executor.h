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
// torchThread() runs at the niceness of the thread policy (thread_policy.h:
// EDGE_CLASSIFY_NICE = 0..19), and so do the OpenMP and preprocessing threads
// it starts, which inherit it.
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

#include "error.h"

namespace edge {

class Executor {
 public:
  using Task = std::function<void()>;
  using Clock = std::chrono::steady_clock;

  // niceness > 0: the thread (and the threads it starts) runs that much below normal priority.
  explicit Executor(int niceness = 0);
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
  bool onThread() const { return std::this_thread::get_id() == thread_.get_id(); }
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
  void loop();

  const int niceness_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;
  std::multimap<Clock::time_point, Task> timed_;
  bool stopping_ = false;
  std::thread thread_;
};

// The process-wide thread for CPU-side libtorch work (niceness: threadPolicy().niceness).
Executor& torchThread();

}  // namespace edge
