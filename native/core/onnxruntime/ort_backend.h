// ONNX Runtime backend: ONNX models on the CPU (or ONNX Runtime's CUDA execution provider) through its C API
// (the library found at run time: library.h). Compiled only with ONNX Runtime's
// headers (EDGE_WITH_ONNXRUNTIME).
//
// One process-wide OrtEnv owns the intra-op thread pool, sized by the thread
// policy (thread_policy.h) and without spinning; sessions share it. Sessions run
// on the process's torch thread like every CPU model, so libtorch's team and
// ONNX Runtime's pool take turns and never oversubscribe the cores together.
// The fused CPU preprocessing writes straight into the memory an OrtValue wraps
// (CreateTensorWithDataAsOrtValue); float16 models get that input as half.
// A static batch dimension is served in chunks of it, the last one zero-padded.
#pragma once

#include <string>

#include "../backend.h"

namespace edge {

// Loads an ONNX file, on the CPU ("cpu", "auto") or with ONNX Runtime's CUDA execution provider
// ("cuda", "cuda:N"; where the library found has one: a CUDA build such as pip's onnxruntime-gpu).
// Throws edge::Error: ModelLoad (missing, corrupt, truncated), ModelMismatch (an input that is not
// N x 3 x H x W float or float16, an output that is not one row per image), Unsupported (ONNX Runtime
// missing or too old, no CUDA execution provider, a precision other than fp32).
LoadedModel loadOnnxRuntimeModel(const std::string& path, const BackendOptions& options);

// True when the library found lists a CUDA execution provider (onnxRuntime() must be available).
bool onnxRuntimeHasCuda();

}  // namespace edge
