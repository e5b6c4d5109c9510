// Runs fn(i) for i in [0, n) on up to `threads` threads (0 = the compute
// team's size now, teamGovernor().size());
// thread t takes i = t, t + workers, ... The calling thread does its share.
// An exception thrown by fn on any thread stops that thread's share and is
// rethrown here (the first one), after every thread has joined.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "team_governor.h"

namespace edge {

template <typename Fn>
void parallelFor(size_t n, int threads, Fn&& fn) {
  size_t workers = static_cast<size_t>(threads > 0 ? threads : teamGovernor().size());
  workers = std::min(workers, n);
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::exception_ptr failure;
  std::mutex failureMutex;
  auto work = [&](size_t t) {
    try {
      for (size_t i = t; i < n; i += workers) fn(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failureMutex);
      if (!failure) failure = std::current_exception();
    }
  };
  {
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    struct Joiner {  // joins whatever was started, also when starting a thread throws
      std::vector<std::thread>& threads;
      ~Joiner() {
        for (auto& th : threads)
          if (th.joinable()) th.join();
      }
    } joiner{pool};
    for (size_t t = 1; t < workers; ++t) pool.emplace_back(work, t);
    work(0);
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace edge
