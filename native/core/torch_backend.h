// libtorch backend: TorchScript models on CPU (or CUDA when libtorch has it).
#pragma once

#include <memory>
#include <string>

#include "backend.h"

namespace edge {

// Loads a TorchScript file. Throws edge::Error(ModelLoad) with a message that
// says what to fix when the file is missing, empty or not TorchScript, and
// edge::Error(Unsupported) when the device cannot be used.
LoadedModel loadTorchModel(const std::string& path, const BackendOptions& options);

// True when the CUDA kernels and backend were compiled in.
bool cudaBuilt();

// True when GPU JPEG decoding (nvJPEG) was compiled in.
bool nvjpegBuilt();

// True when this libtorch can run on a CUDA device right now.
bool torchCudaAvailable();

// libtorch version string, e.g. "2.13.0".
std::string torchVersion();

}  // namespace edge
