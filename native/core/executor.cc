#include "executor.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "error.h"

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

int torchThreadNiceness() {
  constexpr int kDefault = 10;
  const char* text = std::getenv("EDGE_CLASSIFY_NICE");
  if (text == nullptr || *text == '\0') return kDefault;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end == '\0' && value >= 0 && value <= 19) return static_cast<int>(value);
  std::fprintf(stderr, "edge-classify: EDGE_CLASSIFY_NICE='%s' is not a whole number from 0 to 19; using %d\n", text, kDefault);
  return kDefault;
}

}  // namespace

Executor::Executor(int niceness) : thread_([this, niceness] {
  lowerOwnPriority(niceness);
  loop();
}) {}

Executor::~Executor() { stop(); }

void Executor::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
}

void Executor::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw Error(ErrorCode::Disposed, "the process is exiting");
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void Executor::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (stopping_) return;  // callers waiting on dropped tasks get std::future_error (broken promise)
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

Executor& torchThread() {
  static Executor executor(torchThreadNiceness());
  return executor;
}

}  // namespace edge
