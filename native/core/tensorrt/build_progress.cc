#include "build_progress.h"

#include <algorithm>

namespace edge {

BuildProgress::Scope::Scope(BuildProgress& progress, const std::string& model) : progress_(progress) {
  std::lock_guard<std::mutex> lock(progress_.mutex_);
  progress_.building_ = true;
  progress_.model_ = model;
  progress_.phases_.clear();
  progress_.start_ = std::chrono::steady_clock::now();
}

BuildProgress::Scope::~Scope() {
  std::lock_guard<std::mutex> lock(progress_.mutex_);
  progress_.building_ = false;
  ++progress_.builds_;
  progress_.phases_.clear();
}

void BuildProgress::phaseStart(const std::string& phase, bool nested, int steps) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!nested) phases_.clear();
  phases_.push_back({phase, 0, std::max(0, steps)});
}

void BuildProgress::step(const std::string& phase, int step) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = phases_.rbegin(); it != phases_.rend(); ++it) {
    if (it->name == phase) {
      it->step = std::max(it->step, step + 1);  // TensorRT numbers steps from 0
      return;
    }
  }
}

void BuildProgress::phaseFinish(const std::string& phase) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = phases_.size(); i-- > 0;) {
    if (phases_[i].name == phase) {
      if (i == 0) {
        phases_[0].step = phases_[0].steps;  // the top-level phase stays, complete, until the next one
        phases_.resize(1);
      } else {
        phases_.resize(i);
      }
      return;
    }
  }
}

BuildProgressSnapshot BuildProgress::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  BuildProgressSnapshot s;
  s.building = building_;
  s.builds = builds_;
  s.model = model_;
  if (building_) s.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  if (phases_.empty()) return s;
  s.phase = phases_.back().name;
  s.step = phases_.front().step;
  s.steps = phases_.front().steps;
  // nested progress: each level's done steps plus the fraction of the level below, as part of one step
  double fraction = 0;
  for (size_t i = phases_.size(); i-- > 0;) {
    const Phase& p = phases_[i];
    if (p.steps <= 0) continue;
    fraction = std::min(1.0, (std::min(p.step, p.steps) + (p.step < p.steps ? fraction : 0.0)) / p.steps);
  }
  s.fraction = fraction;
  return s;
}

BuildProgress& buildProgress() {
  static BuildProgress progress;
  return progress;
}

}  // namespace edge
