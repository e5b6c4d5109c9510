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
