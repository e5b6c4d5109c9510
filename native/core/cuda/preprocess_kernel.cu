#include "preprocess_kernel.h"

#include <cuda_fp16.h>

#include "../geometry.h"
#include "cuda_check.h"

namespace edge {

namespace {

template <typename T>
__device__ inline T toOut(float v);
template <>
__device__ inline float toOut<float>(float v) { return v; }
template <>
__device__ inline __half toOut<__half>(float v) { return __float2half_rn(v); }

// One thread per output pixel of one image; blockIdx.y is the image.
template <typename T>
__global__ void preprocessKernel(const uint8_t* __restrict__ pixels, const GpuImage* __restrict__ images, GpuSpec spec,
                                 T* __restrict__ out) {
  const int n = blockIdx.y;
  const int plane = spec.width * spec.height;
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= plane) return;
  const int x = i % spec.width;
  const int y = i / spec.width;
  const GpuImage img = images[n];
  // Element p of this pixel: plane p (NCHW) or the p-th of 3 interleaved values (NHWC).
  T* dst = out + static_cast<size_t>(n) * 3 * plane + (spec.nhwc ? static_cast<size_t>(i) * 3 : i);
  const size_t step = spec.nhwc ? 1 : static_cast<size_t>(plane);

  const int64_t u = x - img.offsetX;
  const int64_t v = y - img.offsetY;
  if (u < 0 || v < 0 || u >= img.scaledWidth || v >= img.scaledHeight) {
    for (int p = 0; p < 3; ++p) dst[p * step] = toOut<T>(spec.pad[p]);
    return;
  }
  const LinearTap tx = linearTap(u, img.width, img.scaledWidth);
  const LinearTap ty = linearTap(v, img.height, img.scaledHeight);
  const int x1 = min(tx.index + 1, img.width - 1);
  const int y1 = min(ty.index + 1, img.height - 1);
  const size_t row = static_cast<size_t>(img.width) * img.channels;
  const uint8_t* base = pixels + img.offset;
  const uint8_t* top = base + static_cast<size_t>(ty.index) * row;
  const uint8_t* bottom = base + static_cast<size_t>(y1) * row;
  const size_t l = static_cast<size_t>(tx.index) * img.channels;
  const size_t r = static_cast<size_t>(x1) * img.channels;
  for (int p = 0; p < 3; ++p) {
    const int ch = img.rgb[spec.bgr ? 2 - p : p];
    const float t = top[l + ch] + tx.weight * (static_cast<float>(top[r + ch]) - top[l + ch]);
    const float b = bottom[l + ch] + tx.weight * (static_cast<float>(bottom[r + ch]) - bottom[l + ch]);
    dst[p * step] = toOut<T>((t + ty.weight * (b - t)) * spec.scale[p] + spec.bias[p]);
  }
}

}  // namespace

std::vector<GpuImage> planGpuBatch(const std::vector<ImageView>& images, const PreprocessSpec& spec, uint64_t* totalBytes) {
  std::vector<GpuImage> plans(images.size());
  uint64_t offset = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const ImageView& im = images[i];
    GpuImage& g = plans[i];
    g.offset = offset;
    g.width = im.width;
    g.height = im.height;
    g.channels = im.channels();
    const bool bgrSource = im.format == PixelFormat::BGR || im.format == PixelFormat::BGRA;
    const bool gray = im.format == PixelFormat::Gray;
    for (int c = 0; c < 3; ++c) g.rgb[c] = gray ? 0 : (bgrSource ? 2 - c : c);
    const ResizePlan plan = planResize(im.width, im.height, spec.width, spec.height, spec.mode);
    g.scaledWidth = plan.scaledWidth;
    g.scaledHeight = plan.scaledHeight;
    g.offsetX = plan.offsetX;
    g.offsetY = plan.offsetY;
    const uint64_t bytes = static_cast<uint64_t>(im.width) * im.height * g.channels;
    offset += (bytes + 255) / 256 * 256;  // keep every image 256-byte aligned
  }
  *totalBytes = offset;
  return plans;
}

GpuSpec gpuSpec(const PreprocessSpec& spec) {
  GpuSpec g;
  g.width = spec.width;
  g.height = spec.height;
  g.bgr = spec.order == ChannelOrder::BGR;
  for (int p = 0; p < 3; ++p) {
    g.scale[p] = 1.f / (255.f * spec.stdev[p]);
    g.bias[p] = -spec.mean[p] / spec.stdev[p];
    g.pad[p] = static_cast<float>(spec.pad) * g.scale[p] + g.bias[p];
  }
  return g;
}

void launchPreprocess(const uint8_t* pixels, const GpuImage* images, int n, const GpuSpec& spec, void* out, bool half,
                      cudaStream_t stream) {
  const int threads = 256;
  const dim3 grid((spec.width * spec.height + threads - 1) / threads, n);
  if (half) {
    preprocessKernel<__half><<<grid, threads, 0, stream>>>(pixels, images, spec, static_cast<__half*>(out));
  } else {
    preprocessKernel<float><<<grid, threads, 0, stream>>>(pixels, images, spec, static_cast<float*>(out));
  }
  EDGE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace edge
