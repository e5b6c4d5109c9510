// The progress of the TensorRT engine build running in this process (one at a
// time in practice: builds take minutes and the cache serialises them), as
// TensorRT's progress monitor reports it: the phase, its step and step count.
// Any thread may read a snapshot (the CLI's progress bar polls it).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace edge {

struct BuildProgressSnapshot {
  bool building = false;
  long builds = 0;      // builds that ended in this process (succeeded or not)
  std::string model;   // the ONNX file being built
  std::string phase;   // the innermost phase running now
  int step = 0, steps = 0;   // of the top-level phase
  double fraction = 0;       // 0..1: the top-level phases' steps done, with the current one's inner progress
  double elapsedMs = 0;
};

class BuildProgress {
 public:
  // Marks a build of `model` for its lifetime.
  class Scope {
   public:
    Scope(BuildProgress& progress, const std::string& model);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    BuildProgress& progress_;
  };

  void phaseStart(const std::string& phase, bool nested, int steps);
  void step(const std::string& phase, int step);
  void phaseFinish(const std::string& phase);
  BuildProgressSnapshot snapshot() const;

 private:
  struct Phase {
    std::string name;
    int step = 0, steps = 0;
  };
  mutable std::mutex mutex_;
  bool building_ = false;
  long builds_ = 0;
  std::string model_;
  std::vector<Phase> phases_;  // the open phases, outermost first
  std::chrono::steady_clock::time_point start_{};
};

BuildProgress& buildProgress();

}  // namespace edge
