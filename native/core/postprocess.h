// Turns a model's raw outputs into confidences.
#pragma once

#include <vector>

namespace edge {

enum class Activation {
  Softmax,  // single-label models that output logits
  Sigmoid,  // multi-label models that output logits
  None,     // the model already outputs probabilities
};

// Applies `activation` to each of the `rows` rows of `cols` values, in double
// precision (softmax is shifted by the row maximum, so large logits are safe).
std::vector<double> activate(const std::vector<float>& logits, int rows, int cols, Activation activation);

}  // namespace edge
