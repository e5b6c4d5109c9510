// Loads a model with the backend its file and the options call for:
//   TorchScript (.torchscript/.pt/...) -> libtorch (CPU or CUDA);
//   ONNX (.onnx) -> ONNX Runtime (CPU) or TensorRT (CUDA);
//   a serialized engine (.engine/.plan) -> TensorRT (CUDA);
//   backend "auto": for ONNX, ONNX Runtime on the CPU (device 'cpu', or 'auto' where TensorRT is not
//   ready), TensorRT otherwise; TensorRT for engine files; libtorch for TorchScript.
// Throws edge::Error with what to do when the backend cannot be had.
#pragma once

#include <string>

#include "backend.h"
#include "torch_backend.h"

namespace edge {

LoadedModel loadModel(const std::string& path, const BackendOptions& options);

// True when the TensorRT backend was compiled in (it still needs the libraries at run time).
bool tensorRtBuilt();

// True when the onnxruntime backend was compiled in (it still needs the library at run time).
bool onnxRuntimeBuilt();

// Why the onnxruntime backend cannot be used here, and what to do ("" when it can): the library
// missing or too old, or this build without the backend.
std::string onnxRuntimeUnavailable();

}  // namespace edge
