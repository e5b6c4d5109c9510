// Loads a model with the backend its file and the options call for:
//   TorchScript (.torchscript/.pt/...) -> libtorch (CPU or CUDA);
//   ONNX (.onnx) or a serialized engine (.engine/.plan) -> TensorRT (CUDA);
//   backend "auto" picks TensorRT for ONNX/engine files, libtorch otherwise.
// Throws edge::Error with what to do when the backend cannot be had.
#pragma once

#include <string>

#include "backend.h"
#include "torch_backend.h"

namespace edge {

LoadedModel loadModel(const std::string& path, const BackendOptions& options);

// True when the TensorRT backend was compiled in (it still needs the libraries at run time).
bool tensorRtBuilt();

}  // namespace edge
