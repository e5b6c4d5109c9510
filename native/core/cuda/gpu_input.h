// Images -> a model's input tensor memory on the GPU, for any CUDA backend:
//  - raw uint8 frames go once through pinned staging (copied by several threads, each sending every
//    ~4 MiB it has staged at once so that transfers overlap copying), then one kernel launch resizes,
//    normalises, reorders and casts the whole batch straight into `out`;
//  - JPEGs are decoded on the GPU by nvJPEG into device scratch, then the same kernel runs.
// One GpuInput per model; calls are ordered by the model's stream and lock.
#pragma once

#include <cuda_runtime_api.h>

#include <memory>
#include <utility>
#include <vector>

#include "../image.h"
#include "../preprocess.h"
#include "device_buffer.h"
#include "pinned_buffer.h"
#include "preprocess_kernel.h"

namespace edge {

class JpegDecoder;

struct GpuTarget {
  void* out = nullptr;   // n x 3 x H x W elements (NCHW), or NHWC memory when nhwc
  bool half = false;     // __half elements instead of float
  bool nhwc = false;
  int device = 0;        // CUDA device index
  cudaStream_t stream = nullptr;
};

class GpuInput {
 public:
  GpuInput();
  ~GpuInput();
  GpuInput(const GpuInput&) = delete;
  GpuInput& operator=(const GpuInput&) = delete;

  // Stages and preprocesses raw frames into target.out; returns the host milliseconds spent staging.
  double frames(const std::vector<ImageView>& images, const PreprocessSpec& spec, const GpuTarget& target);

  // Decodes JPEGs with nvJPEG and preprocesses them into target.out; returns each image's size.
  // Throws Error(Unsupported) in builds without nvJPEG, Error(Decode) for a JPEG nvJPEG refuses.
  std::vector<std::pair<int, int>> jpegs(const std::vector<EncodedView>& images, const PreprocessSpec& spec,
                                         uint64_t maxPixels, const GpuTarget& target);

  // Frees the device scratch (after an out-of-memory failure).
  void release() { scratch_.release(); }

 private:
  PinnedBuffer staging_;  // uint8 pixels + per-image plans
  DeviceBuffer scratch_;  // the same on the device
  std::unique_ptr<JpegDecoder> jpeg_;  // created on first use
};

}  // namespace edge
