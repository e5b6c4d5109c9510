#include "executor.h"

#include "error.h"

namespace edge {

Executor::Executor() : thread_([this] { loop(); }) {}

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
  static Executor executor;
  return executor;
}

}  // namespace edge
