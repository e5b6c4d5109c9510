// Confidences -> Roboflow's classification results, per image, on the
// scheduler's threads: Python's round(x, 4), the stable sort, the confidence
// filter, multi-label thresholding and top-k, and (when asked) the
// predictions as JSON text exactly as JSON.stringify writes them, so that what
// crosses to JavaScript is compact: class indices and confidences, or bytes.
// Plain C++: no Node here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace edge {

// A model's class names, fixed at load (shared by its requests).
struct ResultLabels {
  std::vector<std::string> json;  // each name as a JSON string literal, quotes included (JSON.stringify's escaping)
  // Multi-label: the order in which a JavaScript object lists the names as keys (integer-like
  // names first, ascending; then the rest in class order; a repeated name once), each entry the
  // class whose value the key holds (the last class of that name).
  std::vector<int32_t> keyOrder;
  // Per class, the JSON around its confidence (made by makeLabels): single-label
  // `{"class":NAME,"class_id":I,"confidence":`, multi-label `NAME:{"confidence":` and `,"class_id":I}`.
  std::vector<std::string> singlePrefix, multiPrefix, multiSuffix;
};

enum class ResultTask { SingleLabel, MultiLabel };

// How one request's confidences become results.
struct ResultSpec {
  ResultTask task = ResultTask::SingleLabel;
  bool hasThreshold = false;  // single-label: keep classes with confidence >= threshold; multi-label: always set
  double threshold = 0;       // multi-label: predicted when confidence > threshold
  bool fullPrecision = false; // single-label: confidences unrounded (multi-label ones always are)
  int topK = 0;               // only the best k predictions (0: all)
  bool json = false;          // also write the predictions as JSON text
  std::shared_ptr<const ResultLabels> labels;
};

// One image's result. Single-label: `classes` / `confidences` are the predictions in order
// (highest first, ties in class order). Multi-label: the predictions in key order, and
// `predicted` the classes above the threshold, in class order.
struct ImageResult {
  std::vector<int32_t> classes;
  std::vector<double> confidences;
  std::vector<int32_t> predicted;
  // With spec.json: `predictions` as JSON text (an array, or an object for multi-label), then for
  // multi-label `predicted_classes` (an array) from byte `jsonSplit` on.
  std::string json;
  size_t jsonSplit = 0;
};

// The results of a request's images in one block (what crosses to JS), in this order: the
// confidences (doubles), then int32s — counts (image i's entries are counts[i] of classes /
// confidences after those of the images before it), classes, and for multi-label predictedCounts
// and predicted; with JSON, jsonAt (image i's text is json[jsonAt[3i], jsonAt[3i+2]), its
// predicted_classes from jsonAt[3i+1]). One block, packed on the lane that built the per-image
// results: small buffers allocated on one thread and freed on another grew glibc's arenas with
// every call (~80 bytes a call over 300,000 calls).
struct PackedResults {
  std::vector<uint64_t> block;  // 8-byte aligned: the doubles, then the int32s
  size_t images = 0, entries = 0, predicted = 0;
  bool multiLabel = false;
  std::string json;  // empty without JSON
  bool hasJson = false;

  const double* confidences() const { return reinterpret_cast<const double*>(block.data()); }
  const int32_t* ints() const { return reinterpret_cast<const int32_t*>(confidences() + entries); }
  const int32_t* counts() const { return ints(); }
  const int32_t* classes() const { return counts() + images; }
  const int32_t* predictedCounts() const { return classes() + entries; }
  const int32_t* predictedClasses() const { return predictedCounts() + (multiLabel ? images : 0); }
  const int32_t* jsonAt() const { return predictedClasses() + (multiLabel ? predicted : 0); }
  size_t intCount() const { return images + entries + (multiLabel ? images + predicted : 0) + (hasJson ? 3 * images : 0); }
};

PackedResults pack(std::vector<ImageResult>&& results, bool multiLabel);

// Python's round(x, 4): the exact binary value rounded half to even.
double roundLikePython4(double x);
// Appends `x` as JavaScript writes a number in JSON (Number::toString; NaN and infinities as null).
void appendJsonNumber(std::string& out, double x);
// Checks the key order against the names (InvalidArgument) and shares them.
std::shared_ptr<const ResultLabels> makeLabels(std::vector<std::string> json, std::vector<int32_t> keyOrder);
// `cols` confidences of one image -> its result. Throws InvalidArgument when the labels do not
// cover `cols` classes.
ImageResult buildResult(const double* scores, int cols, const ResultSpec& spec);

}  // namespace edge
