#include "executor.h"

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

Executor::Executor(int niceness) : niceness_(niceness), thread_([this] {
  lowerOwnPriority(niceness_);
  loop();
}) {}

Executor::~Executor() { stop(); }

void Executor::stop() {
  std::deque<Task> dropped;
  std::multimap<Clock::time_point, Task> droppedTimed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    dropped.swap(tasks_);
    droppedTimed.swap(timed_);
  }
  wake_.notify_all();
  if (thread_.joinable() && !onThread()) thread_.join();
  // `dropped` and `droppedTimed` are destroyed here, unrun: waiting call()s see a broken promise.
}

bool Executor::stopped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

bool Executor::post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

bool Executor::postAt(Clock::time_point at, Task task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return false;
    timed_.emplace(at, std::move(task));
  }
  wake_.notify_one();
  return true;
}

void Executor::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (stopping_) return;
    Task task;
    if (!tasks_.empty()) {
      task = std::move(tasks_.front());
      tasks_.pop_front();
    } else if (!timed_.empty() && timed_.begin()->first <= Clock::now()) {
      task = std::move(timed_.begin()->second);
      timed_.erase(timed_.begin());
    } else if (!timed_.empty()) {
      wake_.wait_until(lock, timed_.begin()->first);
      continue;
    } else {
      wake_.wait(lock);
      continue;
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
  static Executor executor(threadPolicy().niceness);
  return executor;
}

}  // namespace edge
