// Wall-clock milliseconds since construction (steady clock), for the
// per-call stage timings a result reports.
#pragma once

#include <chrono>

namespace edge {

class Stopwatch {
 public:
  double ms() const { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace edge
