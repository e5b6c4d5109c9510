// A thread that runs the tasks given to it, one at a time, in order.
//
// libtorch's CPU kernels parallelise with OpenMP, and OpenMP keeps one team of
// threads per thread that starts parallel work: when several long-lived
// threads run libtorch (libuv's pool, one thread per model), their idle teams
// slow each other down (`npm run bench`, mobilenet_v3_small batch 1 from a raw frame:
// 8.37 ms before this executor, 3.79 ms with it).
// So every CPU-side libtorch call of this process (loading, CPU inference)
// goes through one Executor, torchThread(); CUDA batches run on their model's
// own thread.
//
// torchThread() runs below normal priority (nice +10 on Linux, EDGE_CLASSIFY_NICE
// = 0..19 to change it), and so do the OpenMP and preprocessing threads it
// starts, which inherit it: when a result or a request wakes the event loop,
// the scheduler gives it a core at once instead of after a compute thread's
// time slice. Compute loses nothing while the event loop sleeps
// (`npm run bench:concurrency`; figures in the README's Performance section).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

namespace edge {

class Executor {
 public:
  // niceness > 0: the thread (and the threads it starts) runs that much below normal priority.
  explicit Executor(int niceness = 0);
  ~Executor();  // stop()

  // Finishes the task in progress and joins; later call()s throw Error(Disposed). Idempotent.
  void stop();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs fn on this executor's thread and waits for it; its result or exception comes back here.
  // Called from the executor's own thread, fn runs inline.
  template <typename Fn>
  auto call(Fn&& fn) -> std::invoke_result_t<Fn&> {
    using Result = std::invoke_result_t<Fn&>;
    if (std::this_thread::get_id() == thread_.get_id()) return fn();
    std::packaged_task<Result()> task(std::forward<Fn>(fn));
    std::future<Result> result = task.get_future();
    post([&task] { task(); });  // throws once stopped
    return result.get();
  }

 private:
  void post(std::function<void()> task);
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

// The process-wide thread for CPU-side libtorch work (niceness: EDGE_CLASSIFY_NICE, default 10).
Executor& torchThread();

}  // namespace edge
