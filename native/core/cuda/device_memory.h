// Free and total memory of a CUDA device, for monitoring; nullopt when the query fails.
// The calling thread's current device is left as it was.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <optional>
#include <utility>

namespace edge {

inline std::optional<std::pair<size_t, size_t>> deviceMemory(int device) {
  int current = 0;
  size_t free = 0, total = 0;
  const bool ok = cudaGetDevice(&current) == cudaSuccess && cudaSetDevice(device) == cudaSuccess &&
                  cudaMemGetInfo(&free, &total) == cudaSuccess;
  cudaSetDevice(current);
  if (!ok) {
    cudaGetLastError();
    return std::nullopt;
  }
  return std::make_pair(free, total);
}

}  // namespace edge
