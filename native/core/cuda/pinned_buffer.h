// RAII page-locked host memory (cudaHostAlloc), grown on demand. Copies from
// it to the GPU are true DMA transfers that can run asynchronously.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>

#include "cuda_check.h"

namespace edge {

class PinnedBuffer {
 public:
  // Ensures at least `bytes` of capacity; old contents are not kept.
  void reserve(size_t bytes) {
    if (bytes <= capacity_) return;
    data_.reset();
    capacity_ = 0;
    void* p = nullptr;
    EDGE_CUDA_CHECK(cudaHostAlloc(&p, bytes, cudaHostAllocDefault));
    data_.reset(p);
    capacity_ = bytes;
  }
  unsigned char* data() const { return static_cast<unsigned char*>(data_.get()); }
  size_t capacity() const { return capacity_; }

 private:
  struct Free {
    void operator()(void* p) const noexcept { cudaFreeHost(p); }
  };
  std::unique_ptr<void, Free> data_;
  size_t capacity_ = 0;
};

}  // namespace edge
