// Every CUDA runtime call goes through EDGE_CUDA_CHECK: a failure becomes an
// edge::Error (OutOfMemory for allocation failures) naming the call.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "../error.h"

namespace edge {

inline void cudaCheck(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  const ErrorCode code = status == cudaErrorMemoryAllocation ? ErrorCode::OutOfMemory : ErrorCode::Inference;
  throw Error(code, std::string("CUDA error ") + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) +
                        ") in " + call + " at " + file + ":" + std::to_string(line));
}

}  // namespace edge

#define EDGE_CUDA_CHECK(call) ::edge::cudaCheck((call), #call, __FILE__, __LINE__)
