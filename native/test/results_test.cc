// The results core without Node: random confidences (in and out of [0, 1], ties, NaN, infinities),
// thresholds, top-k and both tasks through buildResult, checked for the properties the JS tests
// take for granted — every kept class once, in order (highest first, ties in class order, NaN last),
// top-k a prefix of the full order, JSON with one entry per prediction — and, built under
// AddressSanitizer+UBSan by scripts/native-tests.sh, for memory safety (the counting sort's buckets,
// the JSON buffer). Exactness against JavaScript and Python is tested in test/00-results.test.ts.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "error.h"
#include "results.h"

using namespace edge;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void randomResults() {
  std::mt19937 rng(18);
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int round = 0; round < 2000; ++round) {
    // every 4th round: confidences in [0, 1] only (as a classifier's), so that the rounded keys sort
    // them (results.cc: by counting where their range is narrow, else by radix), many classes at times
    const bool unit = round % 4 == 1;
    const int cols = pick(1, round % 50 == 0 || (unit && round % 3 == 0) ? 3000 : 40);
    std::vector<std::string> names;
    std::vector<int32_t> keys;
    for (int i = 0; i < cols; ++i) {
      names.push_back("\"c" + std::to_string(i) + "\"");
      keys.push_back(i);
    }
    const auto labels = makeLabels(names, keys);
    std::vector<double> scores(static_cast<size_t>(cols));
    for (double& s : scores) {
      if (unit) {
        const int kind = pick(0, 3);
        s = kind == 0 ? pick(0, 8) / 32.0 : kind == 1 ? std::pow(uniform(0, 1), 12) : kind == 2 ? pick(0, 20) / 10000.0 : uniform(0, 1);
        continue;
      }
      switch (pick(0, 9)) {
        case 0: s = pick(0, 8) / 32.0; break;                     // exact rounding ties
        case 1: s = std::numeric_limits<double>::quiet_NaN(); break;
        case 2: s = uniform(-2, 3); break;                        // outside [0, 1]
        case 3: s = pick(0, 1) ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity(); break;
        default: s = std::pow(uniform(0, 1), 4);
      }
    }
    ResultSpec spec;
    spec.labels = labels;
    spec.task = round % 3 == 0 ? ResultTask::MultiLabel : ResultTask::SingleLabel;
    spec.hasThreshold = spec.task == ResultTask::MultiLabel || round % 2 == 0;
    spec.threshold = uniform(0, 0.6);
    spec.fullPrecision = round % 5 == 0;
    spec.json = true;
    const ImageResult all = buildResult(scores.data(), cols, spec);
    spec.topK = pick(1, cols);
    const ImageResult top = buildResult(scores.data(), cols, spec);
    CHECK(all.classes.size() == all.confidences.size());
    CHECK(top.classes.size() <= static_cast<size_t>(spec.topK));
    std::vector<int> seen(static_cast<size_t>(cols), 0);
    for (int32_t c : all.classes) {
      CHECK(c >= 0 && c < cols);
      if (c >= 0 && c < cols) ++seen[static_cast<size_t>(c)];
    }
    for (int n : seen) CHECK(n <= 1);
    if (spec.task == ResultTask::SingleLabel) {
      for (size_t k = 0; k < top.classes.size() && k < all.classes.size(); ++k) CHECK(top.classes[k] == all.classes[k]);
      for (size_t k = 1; k < all.classes.size(); ++k) {
        const double a = all.confidences[k - 1], b = all.confidences[k];
        CHECK(std::isnan(b) || (!std::isnan(a) && (a > b || (a == b && all.classes[k - 1] < all.classes[k]))) ||
              (std::isnan(a) && std::isnan(b) && all.classes[k - 1] < all.classes[k]));
      }
      CHECK(count(all.json, "\"class_id\":") == all.classes.size());
    } else {
      CHECK(all.classes.size() == static_cast<size_t>(cols));
      for (int32_t c : all.predicted) CHECK(scores[static_cast<size_t>(c)] > spec.threshold);
      CHECK(count(all.json.substr(0, all.jsonSplit), "\"class_id\":") == all.classes.size());
    }
    CHECK(count(all.json, "nan") == 0 && count(all.json, "inf") == 0);
    const size_t allSize = all.classes.size(), topSize = top.classes.size(), jsonSize = all.json.size() + top.json.size();
    const PackedResults packed = pack({all, top}, spec.task == ResultTask::MultiLabel);
    CHECK(packed.images == 2 && static_cast<size_t>(packed.counts()[0]) == allSize && static_cast<size_t>(packed.counts()[1]) == topSize);
    CHECK(packed.entries == allSize + topSize);
    for (size_t k = 0; k < allSize; ++k) CHECK(packed.classes()[k] == all.classes[k] && (packed.confidences()[k] == all.confidences[k] || std::isnan(all.confidences[k])));
    CHECK(packed.json.size() == jsonSize && static_cast<size_t>(packed.jsonAt()[5]) == jsonSize);
    CHECK(reinterpret_cast<const char*>(packed.jsonAt() + 6) <= reinterpret_cast<const char*>(packed.block.data() + packed.block.size()));
  }
}

void refusals() {
  const auto labels = makeLabels({"\"a\"", "\"b\""}, {0, 1});
  ResultSpec spec;
  spec.labels = labels;
  const double scores[3] = {0.1, 0.2, 0.7};
  bool refused = false;
  try {
    buildResult(scores, 3, spec);
  } catch (const Error& e) {
    refused = e.code() == ErrorCode::InvalidArgument;
  }
  CHECK(refused);
  refused = false;
  try {
    makeLabels({"\"a\""}, {1});
  } catch (const Error& e) {
    refused = e.code() == ErrorCode::InvalidArgument;
  }
  CHECK(refused);
}

}  // namespace

int main() {
  randomResults();
  refusals();
  std::fprintf(stderr, failures > 0 ? "results_test: %d checks failed\n" : "results_test: all checks passed\n", failures);
  return failures > 0 ? 1 : 0;
}
