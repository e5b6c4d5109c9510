#include "postprocess.h"

#include <algorithm>
#include <cmath>

namespace edge {

std::vector<double> activate(const std::vector<float>& logits, int rows, int cols, Activation activation) {
  std::vector<double> out(logits.begin(), logits.end());
  for (int r = 0; r < rows; ++r) {
    double* row = out.data() + static_cast<size_t>(r) * cols;
    switch (activation) {
      case Activation::Softmax: {
        const double peak = *std::max_element(row, row + cols);
        double sum = 0;
        for (int c = 0; c < cols; ++c) sum += (row[c] = std::exp(row[c] - peak));
        for (int c = 0; c < cols; ++c) row[c] /= sum;
        break;
      }
      case Activation::Sigmoid:
        for (int c = 0; c < cols; ++c) row[c] = 1.0 / (1.0 + std::exp(-row[c]));
        break;
      case Activation::None:
        break;
    }
  }
  return out;
}

}  // namespace edge
