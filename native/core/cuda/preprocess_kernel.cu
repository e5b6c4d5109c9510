#include "preprocess_kernel.h"

#include <cuda_fp16.h>

#include "../geometry.h"
#include "../roboflow_steps.h"
#include "../error.h"
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
  const GpuImage& img = images[n];
  // Element p of this pixel: plane p (NCHW) or the p-th of 3 interleaved values (NHWC).
  T* dst = out + static_cast<size_t>(n) * 3 * plane + (spec.nhwc ? static_cast<size_t>(i) * 3 : i);
  const size_t step = spec.nhwc ? 1 : static_cast<size_t>(plane);

  const int64_t u = x - img.offsetX;
  const int64_t v = y - img.offsetY;
  if (u < 0 || v < 0 || u >= img.scaledWidth || v >= img.scaledHeight) {
    for (int p = 0; p < 3; ++p) dst[p * step] = toOut<T>(spec.pad[p]);
    return;
  }
  if (spec.uint8Resize) {
    const FixedTap fx = fixedColumnTap(u, img.width, img.scaledWidth);
    const FixedTap fy = fixedRowTap(v, img.height, img.scaledHeight);
    const uint8_t* base = pixels + img.offset;
    const uint8_t* rows[2] = {base + static_cast<size_t>(fy.index0) * img.rowBytes, base + static_cast<size_t>(fy.index1) * img.rowBytes};
    const size_t cols[2] = {static_cast<size_t>(fx.index0) * img.channels, static_cast<size_t>(fx.index1) * img.channels};
    const uint8_t* lut = img.useLut ? img.lut : nullptr;
    int px[4][3];
    for (int k = 0; k < 4; ++k) {
      const uint8_t* p = rows[k / 2] + cols[k % 2];
      int cr = p[img.rgb[0]], cg = p[img.rgb[1]], cb = p[img.rgb[2]];
      stepPixel(cr, cg, cb, img.grayFirst, lut, img.grayAfter);
      px[k][0] = spec.bgr ? cb : cr;
      px[k][1] = cg;
      px[k][2] = spec.bgr ? cr : cb;
    }
    for (int p = 0; p < 3; ++p) {
      const int value = fixedBlend(px[0][p] * fx.w0 + px[1][p] * fx.w1, px[2][p] * fx.w0 + px[3][p] * fx.w1, fy.w0, fy.w1);
      dst[p * step] = toOut<T>(static_cast<float>(value) * spec.scale[p] + spec.bias[p]);
    }
    return;
  }
  const LinearTap tx = linearTap(u, img.width, img.scaledWidth);
  const LinearTap ty = linearTap(v, img.height, img.scaledHeight);
  const int x1 = min(tx.index + 1, img.width - 1);
  const int y1 = min(ty.index + 1, img.height - 1);
  const size_t row = img.rowBytes;
  const uint8_t* base = pixels + img.offset;
  const uint8_t* top = base + static_cast<size_t>(ty.index) * row;
  const uint8_t* bottom = base + static_cast<size_t>(y1) * row;
  const size_t l = static_cast<size_t>(tx.index) * img.channels;
  const size_t r = static_cast<size_t>(x1) * img.channels;
  if (!img.grayFirst && !img.useLut && !img.grayAfter) {
    for (int p = 0; p < 3; ++p) {
      const int ch = img.rgb[spec.bgr ? 2 - p : p];
      const float t = top[l + ch] + tx.weight * (static_cast<float>(top[r + ch]) - top[l + ch]);
      const float b = bottom[l + ch] + tx.weight * (static_cast<float>(bottom[r + ch]) - bottom[l + ch]);
      dst[p * step] = toOut<T>((t + ty.weight * (b - t)) * spec.scale[p] + spec.bias[p]);
    }
    return;
  }
  // Roboflow steps: each of the four source pixels through them, then the same interpolation
  const uint8_t* lut = img.useLut ? img.lut : nullptr;
  float px[4][3];
  const uint8_t* taps[4] = {top + l, top + r, bottom + l, bottom + r};
  for (int k = 0; k < 4; ++k) {
    int cr = taps[k][img.rgb[0]], cg = taps[k][img.rgb[1]], cb = taps[k][img.rgb[2]];
    stepPixel(cr, cg, cb, img.grayFirst, lut, img.grayAfter);
    px[k][0] = static_cast<float>(spec.bgr ? cb : cr);
    px[k][1] = static_cast<float>(cg);
    px[k][2] = static_cast<float>(spec.bgr ? cr : cb);
  }
  for (int p = 0; p < 3; ++p) {
    const float t = px[0][p] + tx.weight * (px[1][p] - px[0][p]);
    const float b = px[2][p] + tx.weight * (px[3][p] - px[2][p]);
    dst[p * step] = toOut<T>((t + ty.weight * (b - t)) * spec.scale[p] + spec.bias[p]);
  }
}

}  // namespace

std::vector<GpuImage> planGpuBatch(const std::vector<ImageView>& images, const PreprocessSpec& spec, uint64_t* totalBytes,
                                   std::vector<std::vector<uint8_t>>* buffers) {
  std::vector<GpuImage> plans(images.size());
  if (buffers) buffers->assign(images.size(), {});
  uint64_t offset = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const ImageView& im = images[i];
    GpuImage& g = plans[i];
    if (im.data == nullptr && spec.steps.any()) {
      throw Error(ErrorCode::Unsupported, "Roboflow preprocessing steps need the pixels on the host: decode on the CPU");
    }
    ImageSteps steps = planSteps(im, spec.steps);
    // an adaptive equalization's result is uploaded instead of the image: its window, all steps done
    const ImageView source = steps.source(im);
    g.channels = source.channels();
    g.imageOffset = offset;
    g.rowBytes = static_cast<uint64_t>(source.width) * g.channels;
    g.offset = steps.buffered() ? offset : offset + static_cast<uint64_t>(steps.y0) * g.rowBytes + static_cast<uint64_t>(steps.x0) * g.channels;
    g.width = steps.width;
    g.height = steps.height;
    g.grayFirst = steps.grayFirst;
    g.useLut = steps.useLut;
    g.grayAfter = steps.grayAfter;
    for (int v = 0; v < 256; ++v) g.lut[v] = steps.lut[v];
    const bool bgrSource = source.format == PixelFormat::BGR || source.format == PixelFormat::BGRA;
    const bool gray = source.format == PixelFormat::Gray;
    for (int c = 0; c < 3; ++c) g.rgb[c] = gray ? 0 : (bgrSource ? 2 - c : c);
    const ResizePlan plan = planResize(steps.width, steps.height, spec.width, spec.height, spec.mode, spec.rounding);
    g.scaledWidth = plan.scaledWidth;
    g.scaledHeight = plan.scaledHeight;
    g.offsetX = plan.offsetX;
    g.offsetY = plan.offsetY;
    const uint64_t bytes = static_cast<uint64_t>(source.width) * source.height * g.channels;
    if (buffers) (*buffers)[i] = std::move(steps.buffer);
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
  g.uint8Resize = spec.uint8Resize;
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
