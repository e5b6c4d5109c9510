#include "results.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <cstring>

#include "error.h"

namespace edge {

namespace {

// The fast path of Python's round(x, 4): x * 10000 is within ~1e-12 of the exact product for |x| < 1e5,
// so unless that product is within 1e-6 of a half, rounding it gives the correctly rounded decimal,
// r / 10000 (lib/results/round.ts has the same rule). False where the exact path must decide.
inline bool roundFast4(double x, double* r) {
  const double scaled = x * 10000;
  if (!(std::fabs(scaled) < 1e9)) return false;
  const double floor = std::floor(scaled);
  const double frac = scaled - floor;
  if (!(std::fabs(frac - 0.5) > 1e-6)) return false;
  // without a branch: which side of the half is as random as the scores, and a mispredicted branch
  // per class cost as much as the rest of the loop (a batch of 64 x 1000 took 1.25 ms, now 0.63)
  *r = floor + static_cast<double>(frac > 0.5);
  return true;
}

}  // namespace

double roundLikePython4(double x) {
  double r;
  if (roundFast4(x, &r)) return std::copysign(r / 10000, x);  // r / 10000: the double nearest that decimal; -0 for x in (-0.00005, -0]
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

// The first `k` of `order` (all of them when k is 0 or too large), ordered by `value`: highest first,
// ties in index order, NaN last (in index order) — a total order, so that any sort gives the same.
// Sorted as (value, index) pairs, NaN values set apart first: no indirection, no NaN test in the
// comparison.
void sortBest(std::vector<int32_t>& order, size_t k, const double* value) {
  struct Entry {
    double value;
    int32_t index;
  };
  std::vector<Entry> entries, nans;
  entries.reserve(order.size());
  for (int32_t i : order) {
    const double v = value[i];
    (std::isnan(v) ? nans : entries).push_back({v, i});
  }
  const auto before = [](const Entry& a, const Entry& b) { return a.value > b.value || (a.value == b.value && a.index < b.index); };
  const size_t want = k == 0 ? order.size() : std::min(k, order.size());
  if (want < entries.size()) {
    std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(want), entries.end(), before);
    entries.resize(want);
  } else {
    std::sort(entries.begin(), entries.end(), before);
  }
  order.clear();
  for (const Entry& e : entries) order.push_back(e.index);
  for (size_t n = 0; order.size() < want && n < nans.size(); ++n) order.push_back(nans[n].index);  // in class order
}

// Rounded confidences in [0, 1] are k / 10000: k's 4 decimals, trailing zeros dropped, are the
// shortest digits that read back as that double, so the JSON is written from k alone.
void appendKey(std::string& out, int key) {
  if (key == 0 || key == 10000) {
    out += key == 0 ? '0' : '1';
    return;
  }
  char digits[6] = {'0', '.', static_cast<char>('0' + key / 1000), static_cast<char>('0' + key / 100 % 10), static_cast<char>('0' + key / 10 % 10), static_cast<char>('0' + key % 10)};
  int n = 6;
  while (digits[n - 1] == '0') --n;
  out.append(digits, static_cast<size_t>(n));
}

// The kept classes ordered by their 4-decimal keys (highest first, ties in class order), in linear
// time where a comparison sort of 1000 classes is not (~50 µs): a counting sort over the range of keys
// present when it is narrow, else a least-significant-digit radix sort of the keys' distance from the
// highest (0..10000: two stable passes of 7 bits). Both are stable, and `order` comes in class order.
// A few classes, or a few wanted of many, are cheaper by comparison.
void sortKeys(std::vector<int32_t>& order, const std::vector<int>& key, size_t k) {
  if (order.empty()) return;
  int low = 10000, high = 0;
  for (int32_t i : order) {
    low = std::min(low, key[static_cast<size_t>(i)]);
    high = std::max(high, key[static_cast<size_t>(i)]);
  }
  const size_t n = order.size();
  const bool few = n <= 32 || (k > 0 && k * 16 < n);
  if (few) {
    const auto before = [&](int32_t a, int32_t b) {
      const int ka = key[static_cast<size_t>(a)], kb = key[static_cast<size_t>(b)];
      return ka > kb || (ka == kb && a < b);
    };
    if (k > 0 && k < n) {
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), before);
      order.resize(k);
    } else {
      std::sort(order.begin(), order.end(), before);
    }
    return;
  }
  std::vector<int32_t> sorted(n);
  const auto distance = [&](int32_t i) { return high - key[static_cast<size_t>(i)]; };  // 0 = the highest
  if (static_cast<size_t>(high - low) <= 4 * n + 64) {
    std::vector<int32_t> start(static_cast<size_t>(high - low) + 2, 0);
    for (int32_t i : order) ++start[static_cast<size_t>(distance(i)) + 1];
    for (size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
    for (int32_t i : order) sorted[static_cast<size_t>(start[static_cast<size_t>(distance(i))]++)] = i;
  } else {
    constexpr int kBits = 7;
    constexpr int kBuckets = 1 << kBits;
    std::vector<int32_t>* from = &order;
    std::vector<int32_t>* to = &sorted;
    for (int shift = 0; shift < 2 * kBits; shift += kBits) {
      int32_t start[kBuckets + 1] = {};
      for (int32_t i : *from) ++start[((distance(i) >> shift) & (kBuckets - 1)) + 1];
      for (int b = 1; b <= kBuckets; ++b) start[b] += start[b - 1];
      for (int32_t i : *from) (*to)[static_cast<size_t>(start[(distance(i) >> shift) & (kBuckets - 1)]++)] = i;
      std::swap(from, to);
    }
    if (from != &sorted) sorted.swap(*from);  // two passes: the result is back in `order`
  }
  if (k > 0 && k < sorted.size()) sorted.resize(k);
  order.swap(sorted);
}

void singleLabel(const double* scores, int cols, const ResultSpec& spec, ImageResult& out) {
  std::vector<double> confidence(scores, scores + cols);
  std::vector<int> key;  // round(c * 10000) when every rounded confidence is in [0, 1]
  if (!spec.fullPrecision) {
    key.resize(static_cast<size_t>(cols));
    for (int i = 0; i < cols; ++i) {
      // the usual case: x in [0, 1] on the fast path gives the key and the confidence together
      const double x = scores[i];
      double r;
      if (x >= 0 && x <= 1 && roundFast4(x, &r)) {
        key[static_cast<size_t>(i)] = static_cast<int>(r);
        confidence[static_cast<size_t>(i)] = std::copysign(r / 10000, x);  // x = -0 gives -0, as Python's round does
        continue;
      }
      const double c = confidence[static_cast<size_t>(i)] = roundLikePython4(x);
      if (!(c >= 0 && c <= 1)) {
        key.clear();
        for (int j = i + 1; j < cols; ++j) confidence[static_cast<size_t>(j)] = roundLikePython4(scores[j]);
        break;
      }
      key[static_cast<size_t>(i)] = static_cast<int>(std::lround(c * 10000));  // exact: c has 4 decimals
    }
  }
  std::vector<int32_t> order;
  order.reserve(static_cast<size_t>(cols));
  for (int32_t i = 0; i < cols; ++i) {
    if (!spec.hasThreshold || scores[i] >= spec.threshold) order.push_back(i);  // on the unrounded value
  }
  if (!key.empty()) {
    sortKeys(order, key, static_cast<size_t>(spec.topK));
  } else {
    sortBest(order, static_cast<size_t>(spec.topK), confidence.data());
  }
  out.classes = order;
  out.confidences.reserve(order.size());
  for (int32_t i : order) out.confidences.push_back(confidence[static_cast<size_t>(i)]);
  if (!spec.json) return;
  const auto& prefix = spec.labels->singlePrefix;
  out.json.reserve(order.size() * 56 + 2);
  out.json += '[';
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0) out.json += ',';
    const size_t i = static_cast<size_t>(order[k]);
    out.json += prefix[i];
    if (!key.empty()) {
      appendKey(out.json, key[i]);
    } else {
      appendJsonNumber(out.json, out.confidences[k]);
    }
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
    sortBest(rank, static_cast<size_t>(spec.topK), value.data());  // ties in key order
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
  const auto& labels = *spec.labels;
  out.json.reserve(shown.size() * 64 + 2);
  out.json += '{';
  for (size_t k = 0; k < shown.size(); ++k) {
    if (k > 0) out.json += ',';
    const size_t i = static_cast<size_t>(shown[k]);
    out.json += labels.multiPrefix[i];
    appendJsonNumber(out.json, out.confidences[k]);
    out.json += labels.multiSuffix[i];
  }
  out.json += '}';
  out.jsonSplit = out.json.size();
  out.json += '[';
  for (size_t k = 0; k < out.predicted.size(); ++k) {
    if (k > 0) out.json += ',';
    out.json += labels.json[static_cast<size_t>(out.predicted[k])];
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
  for (size_t i = 0; i < labels->json.size(); ++i) {
    const std::string id = std::to_string(i);
    labels->singlePrefix.push_back("{\"class\":" + labels->json[i] + ",\"class_id\":" + id + ",\"confidence\":");
    labels->multiPrefix.push_back(labels->json[i] + ":{\"confidence\":");
    labels->multiSuffix.push_back(",\"class_id\":" + id + "}");
  }
  return labels;
}

PackedResults pack(std::vector<ImageResult>&& results, bool multiLabel) {
  PackedResults out;
  out.multiLabel = multiLabel;
  out.images = results.size();
  size_t bytes = 0;
  for (const auto& r : results) {
    out.entries += r.classes.size();
    out.predicted += r.predicted.size();
    bytes += r.json.size();
    out.hasJson = out.hasJson || !r.json.empty();
  }
  if (bytes > static_cast<size_t>(INT32_MAX)) throw Error(ErrorCode::Internal, "the results' JSON is over 2 GiB");
  out.block.assign(out.entries + (out.intCount() + 1) / 2, 0);
  auto* confidence = reinterpret_cast<double*>(out.block.data());
  auto* ints = reinterpret_cast<int32_t*>(confidence + out.entries);
  int32_t* counts = ints;
  int32_t* classes = counts + out.images;
  int32_t* predictedCounts = classes + out.entries;
  int32_t* predicted = predictedCounts + (multiLabel ? out.images : 0);
  int32_t* jsonAt = predicted + (multiLabel ? out.predicted : 0);
  if (out.hasJson) out.json.reserve(bytes);
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    counts[i] = static_cast<int32_t>(r.classes.size());
    confidence = std::copy(r.confidences.begin(), r.confidences.end(), confidence);
    classes = std::copy(r.classes.begin(), r.classes.end(), classes);
    if (multiLabel) {
      predictedCounts[i] = static_cast<int32_t>(r.predicted.size());
      predicted = std::copy(r.predicted.begin(), r.predicted.end(), predicted);
    }
    if (out.hasJson) {
      const size_t start = out.json.size();
      *jsonAt++ = static_cast<int32_t>(start);
      *jsonAt++ = static_cast<int32_t>(start + (r.jsonSplit != 0 ? r.jsonSplit : r.json.size()));
      out.json += r.json;
      *jsonAt++ = static_cast<int32_t>(out.json.size());
    }
  }
  results.clear();
  return out;
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
