// RAII device memory (cudaMalloc), grown on demand; contents are not kept on growth.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>

#include "cuda_check.h"

namespace edge {

class DeviceBuffer {
 public:
  // At least `bytes`, on the current device.
  void* reserve(size_t bytes) {
    EDGE_CUDA_CHECK(grow(bytes));
    return data_.get();
  }
  // As reserve(), reporting failure instead of throwing (for callbacks that must not throw).
  bool reserveNoThrow(size_t bytes) noexcept {
    if (grow(bytes) == cudaSuccess) return true;
    cudaGetLastError();
    return false;
  }
  void release() {
    data_.reset();
    capacity_ = 0;
  }
  void* data() const { return data_.get(); }
  size_t capacity() const { return capacity_; }

 private:
  cudaError_t grow(size_t bytes) noexcept {
    if (bytes <= capacity_) return cudaSuccess;
    data_.reset();
    capacity_ = 0;
    void* p = nullptr;
    const cudaError_t status = cudaMalloc(&p, bytes);
    if (status != cudaSuccess) return status;
    data_.reset(p);
    capacity_ = bytes;
    return cudaSuccess;
  }

  struct Free {
    void operator()(void* p) const noexcept { cudaFree(p); }
  };
  std::unique_ptr<void, Free> data_;
  size_t capacity_ = 0;
};

}  // namespace edge
