#include "executor.h"

#include "openmp.h"
#include "team_governor.h"
#include "thread_policy.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace edge {
namespace {

// Lowers the calling thread's priority by `niceness` (Linux: per thread; best effort — a failure
// leaves it at normal priority). Threads it starts later inherit the value.
void lowerOwnPriority(int niceness) {
#ifdef __linux__
  if (niceness <= 0) return;
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return;
  setpriority(PRIO_PROCESS, tid, std::min(19, current + niceness));
#else
  (void)niceness;
#endif
}

}  // namespace

Executor::Executor(int niceness) : Executor(std::vector<int>{niceness}, nullptr) {}

Executor::Executor(std::vector<int> nicenesses, Chooser choose, Leave leave) : choose_(std::move(choose)), leave_(std::move(leave)) {
  if (nicenesses.empty()) nicenesses.push_back(0);
  wakes_.resize(nicenesses.size());
  ranSinceLeave_.assign(nicenesses.size(), 0);
  threads_.reserve(nicenesses.size());  // never reallocated: onThread() reads it from any thread
  std::lock_guard<std::mutex> lock(mutex_);  // the workers start looping once every one exists
  for (size_t i = 0; i < nicenesses.size(); ++i) {
    threads_.emplace_back([this, i, niceness = nicenesses[i]] {
      lowerOwnPriority(niceness);
      loop(i);
    });
  }
}

Executor::~Executor() { stop(); }

bool Executor::onThread() const {
  const std::thread::id self = std::this_thread::get_id();
  for (const std::thread& t : threads_)
    if (t.get_id() == self) return true;
  return false;
}

size_t Executor::chosen() const {
  if (threads_.size() == 1 || !choose_) return 0;
  return std::min(choose_(), threads_.size() - 1);
}

void Executor::stop() {
  std::deque<Task> dropped;
  std::multimap<Clock::time_point, Task> droppedTimed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    dropped.swap(tasks_);
    droppedTimed.swap(timed_);
    for (std::condition_variable& wake : wakes_) wake.notify_all();
  }
  if (!onThread()) {
    for (std::thread& t : threads_)
      if (t.joinable()) t.join();
  }
  // `dropped` and `droppedTimed` are destroyed here, unrun: waiting call()s see a broken promise.
}

bool Executor::stopped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

bool Executor::post(Task task) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return false;
  tasks_.push_back(std::move(task));
  wakes_[chosen()].notify_one();
  return true;
}

bool Executor::postAt(Clock::time_point at, Task task) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return false;
  timed_.emplace(at, std::move(task));
  wakes_[chosen()].notify_one();
  return true;
}

// One worker's loop. Only the chosen worker takes tasks, and the workers hand over under the lock
// between tasks, so tasks run one at a time and in order whichever worker runs them.
void Executor::loop(size_t worker) {
  std::unique_lock<std::mutex> lock(mutex_);
  std::condition_variable& wake = wakes_[worker];
  for (;;) {
    if (stopping_) return;
    const size_t next = chosen();
    if (next != worker) {  // another worker's turn: make sure it looks
      wakes_[next].notify_one();
      if (ranSinceLeave_[worker] && leave_) {
        ranSinceLeave_[worker] = 0;
        lock.unlock();
        leave_();
        lock.lock();
        continue;
      }
      wake.wait(lock);
      continue;
    }
    Task task;
    if (!tasks_.empty()) {
      task = std::move(tasks_.front());
      tasks_.pop_front();
    } else if (!timed_.empty() && timed_.begin()->first <= Clock::now()) {
      task = std::move(timed_.begin()->second);
      timed_.erase(timed_.begin());
    } else if (!timed_.empty()) {
      wake.wait_until(lock, timed_.begin()->first);
      continue;
    } else {
      wake.wait(lock);
      continue;
    }
    ranSinceLeave_[worker] = 1;
    for (size_t w = 0; w < wakes_.size(); ++w) {  // a worker the chooser left while it slept: it leaves now
      if (w != worker && ranSinceLeave_[w]) wakes_[w].notify_one();
    }
    lock.unlock();
    try {
      task();
    } catch (const std::exception& e) {  // tasks report their own failures; this is a last resort
      std::fprintf(stderr, "edge-classify: a native task failed: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "edge-classify: a native task failed\n");
    }
    task = nullptr;  // its captures die here, outside the lock
    lock.lock();
  }
}

Executor& torchThread() {
  static Executor executor = [] {
    const ThreadPolicy& policy = threadPolicy();
    TeamGovernor& governor = teamGovernor();
    if (!governor.hasQuietLane()) return Executor(policy.niceness);
    return Executor(
        {policy.niceness, policy.quietNiceness}, [&governor] { return governor.lane() == kQuietLane ? size_t{1} : size_t{0}; },
        [&governor] {
          releaseOpenMpTeam();
          governor.forgetJoined();  // its next team has new threads
        });
  }();
  return executor;
}

}  // namespace edge
