// The inference engine seen by the rest of the core. A backend owns a loaded
// model on one device and runs batches of float NCHW input on it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "error.h"
#include "image.h"
#include "preprocess.h"

namespace edge {

// Writes n*3*height*width floats (NCHW) into host memory owned by the backend.
using InputWriter = std::function<void(float* input)>;

enum class Precision { FP32, FP16, INT8 };  // INT8: TensorRT only, calibrated

struct BackendOptions {
  std::string backend = "auto";  // "auto", "torch", "onnxruntime" or "tensorrt" (see loader.h)
  std::string device = "cpu";  // "cpu", "cuda", "cuda:N" or "auto"
  int threads = 0;             // intra-op threads for CPU inference, 0 = backend default
  bool optimize = true;        // apply the backend's inference optimisations (freezing, fusion)
  Precision precision = Precision::FP32;  // CUDA only
  bool cudaGraphs = true;                 // CUDA only: capture one graph per batch size and replay it
  bool channelsLast = false;              // CUDA only: NHWC input and 4-D weights (tensor-core friendly)
  int cudaStreams = 2;                    // CUDA only: batches in flight at once, each on its own stream
  int maxBatchSize = 64;                  // TensorRT: the optimisation profile's largest batch
  size_t workspaceBytes = size_t(1) << 30;  // TensorRT: builder workspace limit
  std::vector<float> calibration;          // TensorRT INT8: preprocessed calibration images, NCHW
  int calibrationImages = 0;
};

struct Outputs {
  std::vector<float> values;  // rows*cols raw outputs, row-major
  int rows = 0;
  int cols = 0;
  double prepareMs = 0;  // host time spent filling the input: CPU preprocessing or staging copies
};

// Lanes: a backend runs up to concurrency() calls at once, each on its own lane (0 <= lane <
// concurrency()), with the lane's own stream, staging and graphs. The model's scheduler owns the
// lanes: it never runs two calls on one lane at once, so a backend needs no locks for its lanes.
class Backend {
 public:
  virtual ~Backend() = default;
  // Runs a batch: `write` fills the backend's input buffer in place, so that
  // preprocessing writes straight into the tensor the model reads.
  virtual Outputs run(int lane, int n, int height, int width, const InputWriter& write) = 0;
  // Preprocesses and runs images. The default preprocesses on the CPU straight
  // into the input buffer; GPU backends override it with their own kernel.
  virtual Outputs runImages(int lane, const std::vector<ImageView>& images, const PreprocessSpec& spec, int threads) {
    return run(lane, static_cast<int>(images.size()), spec.height, spec.width,
               [&](float* input) { preprocessBatch(images, spec, input, threads); });
  }
  // The preprocessed input exactly as runImages() would feed it (as floats),
  // for tests and debugging. GPU backends run their kernel and copy back.
  virtual std::vector<float> preprocessImages(int /*lane*/, const std::vector<ImageView>& images, const PreprocessSpec& spec,
                                              int threads) {
    std::vector<float> tensor(images.size() * spec.imageSize());
    preprocessBatch(images, spec, tensor.data(), threads);
    return tensor;
  }
  // Decodes JPEGs on the device, then preprocesses and runs them; fills the
  // decoded sizes. Only backends with a GPU decoder implement it.
  virtual Outputs runEncoded(int /*lane*/, const std::vector<EncodedView>& /*images*/, const PreprocessSpec& /*spec*/,
                             uint64_t /*maxPixels*/, std::vector<std::pair<int, int>>* /*sizes*/) {
    throw Error(ErrorCode::Unsupported, "this backend has no GPU JPEG decoder; decode on the CPU");
  }
  virtual std::vector<float> preprocessEncoded(int /*lane*/, const std::vector<EncodedView>& /*images*/,
                                               const PreprocessSpec& /*spec*/, uint64_t /*maxPixels*/) {
    throw Error(ErrorCode::Unsupported, "this backend has no GPU JPEG decoder; decode on the CPU");
  }
  // Runs a model that takes token ids (e.g. CLIP's text encoder): n rows of `length` int64 ids.
  virtual Outputs runTokens(int /*lane*/, const int32_t* /*tokens*/, int /*n*/, int /*length*/) {
    throw Error(ErrorCode::Unsupported, "this backend does not run token models");
  }
  // True when runEncoded() is available.
  virtual bool gpuDecode() const { return false; }
  // Batches this backend can run at once: its lanes (the scheduler runs that many on a GPU).
  virtual int concurrency() const { return 1; }
  // Free and total bytes of the model's GPU; nullopt on the CPU.
  virtual std::optional<std::pair<size_t, size_t>> deviceMemory() const { return std::nullopt; }
  virtual std::string name() const = 0;    // e.g. "torch"
  virtual std::string device() const = 0;  // e.g. "cpu", "cuda:0"
};

// What a backend's loader gives: the backend, and the metadata the model file carries, if any. Every
// loader (torch_backend.h, onnxruntime/ort_backend.h, tensorrt/trt_backend.h) returns one: the rest of
// the core, the scheduler and the addon know backends only through this header, so that a build can
// leave any backend out (see the README's "A build without libtorch").
struct LoadedModel {
  std::unique_ptr<Backend> backend;
  std::string metadataJson;  // the TorchScript extra file "metadata.json", empty if absent
};

}  // namespace edge
