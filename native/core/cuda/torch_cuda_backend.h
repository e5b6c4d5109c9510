// libtorch on CUDA, fed by the fused preprocessing kernel: uint8 pixels go
// once through pinned memory to the GPU, the kernel writes straight into the
// model's input tensor (fp32 or fp16), and the forward pass is replayed from a
// CUDA graph captured per batch size.
#pragma once

#include <torch/script.h>

#include <memory>

#include "../backend.h"

namespace edge {

std::unique_ptr<Backend> makeTorchCudaBackend(torch::jit::Module module, torch::Device device, const BackendOptions& options);

}  // namespace edge
