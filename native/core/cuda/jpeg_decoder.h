// Batched JPEG decoding on the GPU with nvJPEG, straight into interleaved RGB
// in device memory, ready for the preprocessing kernel: on the GPU's hardware
// JPEG engines where it has them, else (and for JPEGs they refuse) with
// nvJPEG's hybrid CPU+CUDA decoder.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "../image.h"

namespace edge {

class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  // True when the GPU's hardware JPEG engines are used (baseline JPEGs; others go to the hybrid CUDA decoder).
  bool hardware() const;
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // Width and height of each image from its header. Throws Error(Decode)
  // naming the image index when a header cannot be read, and
  // Error(InvalidImage) over maxPixels (0 = no limit).
  std::vector<std::pair<int, int>> sizes(const std::vector<EncodedView>& images, uint64_t maxPixels);

  // Decodes every image to RGB (3 bytes/pixel, rows of width*3 bytes) at
  // device + offsets[i], asynchronously on `stream`.
  void decode(const std::vector<EncodedView>& images, const std::vector<std::pair<int, int>>& sizes,
              uint8_t* device, const std::vector<uint64_t>& offsets, cudaStream_t stream);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace edge
