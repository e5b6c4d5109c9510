#include "results.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <cstring>

#include "error.h"

namespace edge {

double roundLikePython4(double x) {
  // Fast path: x * 10000 is within ~1e-12 of the exact product for |x| < 1e5, so unless that product is
  // within 1e-6 of a half, rounding it gives the correctly rounded decimal; r / 10000 is then the
  // double nearest that decimal (lib/results/round.ts had the same rule).
  const double scaled = x * 10000;
  if (std::fabs(scaled) < 1e9) {
    const double floor = std::floor(scaled);
    const double frac = scaled - floor;
    if (std::fabs(frac - 0.5) > 1e-6) {
      const double r = frac > 0.5 ? floor + 1 : floor;
      return r == 0 && x < 0 ? -0.0 : r / 10000;
    }
  }
  if (!std::isfinite(x)) return x;
  // The only doubles exactly halfway between two 4-decimal numbers are odd multiples of 1/32.
  const double times32 = x * 32;  // exact: a power of two
  if (times32 == std::floor(times32) && std::fmod(times32, 2) != 0) {
    const double lower = std::floor(x * 10000);  // exact: x * 10000 = n + 0.5 is representable
    return (std::fmod(lower, 2) == 0 ? lower : lower + 1) / 10000;
  }
  // Otherwise the exact decimal expansion rounded to 4 places (glibc's printf is exact), read back.
  char text[400];
  std::snprintf(text, sizeof text, "%.4f", x);
  return std::strtod(text, nullptr);
}

void appendJsonNumber(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  if (x == 0) {
    out += '0';  // -0 too
    return;
  }
  // The shortest digits that read back as x (as ECMAScript's Number::toString picks them), then its layout.
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific).ptr;
  const char* p = buf;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  char digits[32];
  int k = 0;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') digits[k++] = *p;
  }
  int exponent = 0;
  const char* e = p + 1 < end && p[1] == '+' ? p + 2 : p + 1;  // from_chars takes '-' but not '+'
  std::from_chars(e, end, exponent);
  const int n = exponent + 1;  // x = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out.append(digits, k);
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, n);
    out += '.';
    out.append(digits + n, k - n);
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out.append(digits, k);
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits + 1, k - 1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
}

namespace {

// Highest confidence first, ties (and NaN, last) in class order: a total order, so any sort gives the same.
struct Better {
  const double* confidence;
  bool operator()(int32_t a, int32_t b) const {
    const double ca = confidence[a], cb = confidence[b];
    const bool na = std::isnan(ca), nb = std::isnan(cb);
    if (na != nb) return nb;
    if (!na && ca != cb) return ca > cb;
    return a < b;
  }
};

// The first `k` of `order` by `better`, in order (all of them when k is 0 or too large).
void sortBest(std::vector<int32_t>& order, size_t k, const Better& better) {
  if (k == 0 || k >= order.size()) {
    std::sort(order.begin(), order.end(), better);
    return;
  }
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), better);
  order.resize(k);
}

void singleLabel(const double* scores, int cols, const ResultSpec& spec, ImageResult& out) {
  std::vector<double> confidence(scores, scores + cols);
  if (!spec.fullPrecision) {
    for (double& c : confidence) c = roundLikePython4(c);
  }
  std::vector<int32_t> order;
  order.reserve(static_cast<size_t>(cols));
  for (int32_t i = 0; i < cols; ++i) {
    if (!spec.hasThreshold || scores[i] >= spec.threshold) order.push_back(i);  // on the unrounded value
  }
  sortBest(order, static_cast<size_t>(spec.topK), Better{confidence.data()});
  out.classes = order;
  out.confidences.reserve(order.size());
  for (int32_t i : order) out.confidences.push_back(confidence[static_cast<size_t>(i)]);
  if (!spec.json) return;
  const auto& names = spec.labels->json;
  out.json.reserve(order.size() * 48);
  out.json += '[';
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0) out.json += ',';
    out.json += "{\"class\":";
    out.json += names[static_cast<size_t>(order[k])];
    out.json += ",\"class_id\":";
    out.json += std::to_string(order[k]);
    out.json += ",\"confidence\":";
    appendJsonNumber(out.json, out.confidences[k]);
    out.json += '}';
  }
  out.json += ']';
}

void multiLabel(const double* scores, int cols, const ResultSpec& spec, ImageResult& out) {
  const auto& keys = spec.labels->keyOrder;
  std::vector<int32_t> shown(keys.begin(), keys.end());
  if (spec.topK > 0 && static_cast<size_t>(spec.topK) < shown.size()) {
    // the best k keys, listed in key order
    std::vector<int32_t> rank(shown.size());
    for (size_t j = 0; j < rank.size(); ++j) rank[j] = static_cast<int32_t>(j);
    std::vector<double> value(shown.size());
    for (size_t j = 0; j < shown.size(); ++j) value[j] = scores[shown[j]];
    const Better byValue{value.data()};  // ties in key order
    sortBest(rank, static_cast<size_t>(spec.topK), byValue);
    std::sort(rank.begin(), rank.end());
    std::vector<int32_t> best;
    best.reserve(rank.size());
    for (int32_t j : rank) best.push_back(shown[static_cast<size_t>(j)]);
    shown.swap(best);
  }
  out.classes = shown;
  out.confidences.reserve(shown.size());
  for (int32_t i : shown) out.confidences.push_back(scores[i]);
  for (int32_t i = 0; i < cols; ++i) {
    if (scores[i] > spec.threshold) out.predicted.push_back(i);
  }
  if (!spec.json) return;
  const auto& names = spec.labels->json;
  out.json.reserve(shown.size() * 48);
  out.json += '{';
  for (size_t k = 0; k < shown.size(); ++k) {
    if (k > 0) out.json += ',';
    out.json += names[static_cast<size_t>(shown[k])];
    out.json += ":{\"confidence\":";
    appendJsonNumber(out.json, out.confidences[k]);
    out.json += ",\"class_id\":";
    out.json += std::to_string(shown[k]);
    out.json += '}';
  }
  out.json += '}';
  out.jsonSplit = out.json.size();
  out.json += '[';
  for (size_t k = 0; k < out.predicted.size(); ++k) {
    if (k > 0) out.json += ',';
    out.json += names[static_cast<size_t>(out.predicted[k])];
  }
  out.json += ']';
}

}  // namespace

std::shared_ptr<const ResultLabels> makeLabels(std::vector<std::string> json, std::vector<int32_t> keyOrder) {
  for (int32_t i : keyOrder) {
    if (i < 0 || static_cast<size_t>(i) >= json.size()) throw Error(ErrorCode::InvalidArgument, "a class key order entry is out of range");
  }
  auto labels = std::make_shared<ResultLabels>();
  labels->json = std::move(json);
  labels->keyOrder = std::move(keyOrder);
  return labels;
}

ImageResult buildResult(const double* scores, int cols, const ResultSpec& spec) {
  if (!spec.labels || spec.labels->json.size() != static_cast<size_t>(cols)) {
    throw Error(ErrorCode::InvalidArgument, "the model has " + std::to_string(cols) + " outputs but " +
                                                std::to_string(spec.labels ? spec.labels->json.size() : 0) + " class names");
  }
  ImageResult out;
  if (spec.task == ResultTask::SingleLabel) {
    singleLabel(scores, cols, spec, out);
  } else {
    multiLabel(scores, cols, spec, out);
  }
  return out;
}

}  // namespace edge
