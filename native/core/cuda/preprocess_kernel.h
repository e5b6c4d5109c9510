// The fused GPU preprocessing kernel, callable from plain C++: one launch does
// resize (the same bilinear and geometry as the CPU path), letterbox /
// stretch / center-crop, normalisation, channel order, HWC->CHW and the cast
// to float or half for a whole batch, writing into the model's input tensor.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

#include "../image.h"
#include "../preprocess.h"

namespace edge {

// Where image i's pixels are in the device staging buffer, and how it maps to the target.
struct GpuImage {
  uint64_t imageOffset = 0;  // byte offset of the image in the staging buffer
  uint64_t offset = 0;       // byte offset of the first pixel read (the crop window's)
  uint64_t rowBytes = 0;  // bytes from one source row to the next (the whole image's row)
  int width = 0;          // the window read: the image, or its static crop
  int height = 0;
  int channels = 0;
  bool grayFirst = false;  // Roboflow steps (roboflow_steps.h), per source pixel
  bool useLut = false;
  bool grayAfter = false;
  uint8_t lut[256] = {};
  int rgb[3] = {0, 1, 2};  // byte offsets of R, G, B inside a pixel
  int64_t scaledWidth = 0;  // 64-bit: see ResizePlan
  int64_t scaledHeight = 0;
  int64_t offsetX = 0;
  int64_t offsetY = 0;
};

struct GpuSpec {
  int width = 0;
  int height = 0;
  bool bgr = false;
  bool nhwc = false;           // write channels-last (N,H,W,C memory) instead of NCHW
  bool uint8Resize = false;    // OpenCV's 8-bit cv::resize, bit for bit (geometry.h FixedTap)
  float scale[3] = {1, 1, 1};  // per tensor plane: 1 / (255 * std)
  float bias[3] = {0, 0, 0};   // per tensor plane: -mean / std
  float pad[3] = {0, 0, 0};    // normalised pad value per plane
};

// Host-side description of a batch (plans computed with planSteps() and planResize()). Images whose
// pixels are not on the host (data == nullptr: decoded on the GPU) cannot take Roboflow steps.
// `buffers` (when given) receives, per image, the pixels to upload instead of the image's own when an
// adaptive equalization computed them (empty otherwise).
std::vector<GpuImage> planGpuBatch(const std::vector<ImageView>& images, const PreprocessSpec& spec, uint64_t* totalBytes,
                                   std::vector<std::vector<uint8_t>>* buffers = nullptr);
GpuSpec gpuSpec(const PreprocessSpec& spec);

// Launches the kernel on `stream`. `images` points to n GpuImage in device memory;
// `out` is n*3*H*W floats (half == false) or halves (half == true), NCHW or, with spec.nhwc, NHWC.
void launchPreprocess(const uint8_t* pixels, const GpuImage* images, int n, const GpuSpec& spec, void* out, bool half,
                      cudaStream_t stream);

}  // namespace edge
