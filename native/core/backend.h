// The inference engine seen by the rest of the core. A backend owns a loaded
// model on one device and runs batches of float NCHW input on it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace edge {

// Writes n*3*height*width floats (NCHW) into host memory owned by the backend.
using InputWriter = std::function<void(float* input)>;

struct BackendOptions {
  std::string device = "cpu";  // "cpu", "cuda", "cuda:N" ("auto" is resolved before)
  int threads = 0;             // intra-op threads for CPU inference, 0 = backend default
  bool optimize = true;        // apply the backend's inference optimisations (freezing, fusion)
};

struct Outputs {
  std::vector<float> values;  // rows*cols raw outputs, row-major
  int rows = 0;
  int cols = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Runs a batch: `write` fills the backend's input buffer in place, so that
  // preprocessing writes straight into the tensor the model reads.
  virtual Outputs run(int n, int height, int width, const InputWriter& write) = 0;
  virtual std::string name() const = 0;    // e.g. "torch"
  virtual std::string device() const = 0;  // e.g. "cpu", "cuda:0"
};

}  // namespace edge
