// The TensorRT 10 backend (built with EDGE_WITH_TENSORRT: CUDA and TensorRT's headers; the
// libraries are opened at run time, see library.h). Loads a serialized engine (.engine/.plan), or
// builds one from ONNX — fp16 when asked, an optimisation profile for batch 1..maxBatchSize, a
// workspace limit — and caches it beside the model, keyed by GPU, compute capability, TensorRT
// version, precision and max batch, so that it is rebuilt when any differs. The CUDA preprocessing
// kernel writes straight into the input binding; inference is enqueueV3 on the model's stream.
#pragma once

#include <string>

#include "../backend.h"
#include "../torch_backend.h"

namespace edge {

LoadedModel loadTensorRtModel(const std::string& path, const BackendOptions& options);

}  // namespace edge
