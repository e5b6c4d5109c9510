#include "gpu_input.h"

#include <algorithm>
#include <cstring>

#include "../error.h"
#include "../parallel.h"
#include "../stopwatch.h"
#include "cuda_check.h"
#ifdef EDGE_WITH_NVJPEG
#include "jpeg_decoder.h"
#endif

namespace edge {

namespace {

GpuSpec kernelSpec(const PreprocessSpec& spec, const GpuTarget& target) {
  GpuSpec g = gpuSpec(spec);
  g.nhwc = target.nhwc;
  return g;
}

}  // namespace

#ifndef EDGE_WITH_NVJPEG
class JpegDecoder {};  // this build has no decoder: jpeg_ stays empty
#endif
GpuInput::GpuInput() = default;
GpuInput::~GpuInput() = default;

double GpuInput::frames(const std::vector<ImageView>& images, const PreprocessSpec& spec, const GpuTarget& target) {
  const Stopwatch prepare;
  uint64_t pixelBytes = 0;
  std::vector<std::vector<uint8_t>> buffers;  // adaptive equalizations' results, uploaded instead of the image
  const std::vector<GpuImage> plans = planGpuBatch(images, spec, &pixelBytes, &buffers);
  const size_t planBytes = plans.size() * sizeof(GpuImage);
  auto* device = static_cast<uint8_t*>(scratch_.reserve(pixelBytes + planBytes));
  staging_.reserve(pixelBytes + planBytes);
  const size_t n = images.size();
  auto bytesOf = [&](size_t i) { return buffers[i].empty() ? images[i].byteSize() : buffers[i].size(); };
  auto dataOf = [&](size_t i) { return buffers[i].empty() ? images[i].data : buffers[i].data(); };
  const size_t workers = std::min<size_t>({8, n, 1 + pixelBytes / (2u << 20)});
  constexpr uint64_t kPiece = 4u << 20;
  std::vector<cudaError_t> status(workers, cudaSuccess);
  parallelFor(workers, static_cast<int>(workers), [&](size_t t) {
    cudaError_t& error = status[t];
    error = cudaSetDevice(target.device);  // worker threads start on device 0
    const size_t first = n * t / workers;
    const size_t last = n * (t + 1) / workers;
    size_t pieceStart = first;
    auto send = [&](size_t end) {  // images [pieceStart, end) are staged: transfer them
      const uint64_t from = plans[pieceStart].imageOffset;
      const uint64_t to = plans[end - 1].imageOffset + bytesOf(end - 1);
      if (error == cudaSuccess) {
        error = cudaMemcpyAsync(device + from, staging_.data() + from, to - from, cudaMemcpyHostToDevice, target.stream);
      }
      pieceStart = end;
    };
    for (size_t i = first; i < last; ++i) {
      std::memcpy(staging_.data() + plans[i].imageOffset, dataOf(i), bytesOf(i));
      if (plans[i].imageOffset + bytesOf(i) - plans[pieceStart].imageOffset >= kPiece) send(i + 1);
    }
    if (pieceStart < last) send(last);
  });
  for (cudaError_t error : status) EDGE_CUDA_CHECK(error);
  std::memcpy(staging_.data() + pixelBytes, plans.data(), planBytes);
  EDGE_CUDA_CHECK(cudaMemcpyAsync(device + pixelBytes, staging_.data() + pixelBytes, planBytes, cudaMemcpyHostToDevice,
                                  target.stream));
  const double prepareMs = prepare.ms();
  launchPreprocess(device, reinterpret_cast<const GpuImage*>(device + pixelBytes), static_cast<int>(n),
                   kernelSpec(spec, target), target.out, target.half, target.stream);
  return prepareMs;
}

std::vector<std::pair<int, int>> GpuInput::jpegs(const std::vector<EncodedView>& images, const PreprocessSpec& spec,
                                                 uint64_t maxPixels, const GpuTarget& target) {
#ifdef EDGE_WITH_NVJPEG
  if (!jpeg_) jpeg_ = std::make_unique<JpegDecoder>();
  const std::vector<std::pair<int, int>> sizes = jpeg_->sizes(images, maxPixels);
  std::vector<ImageView> views(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    views[i].width = sizes[i].first;
    views[i].height = sizes[i].second;
    views[i].format = PixelFormat::RGB;
  }
  uint64_t pixelBytes = 0;
  const std::vector<GpuImage> plans = planGpuBatch(views, spec, &pixelBytes);
  std::vector<uint64_t> offsets(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) offsets[i] = plans[i].imageOffset;
  const size_t planBytes = plans.size() * sizeof(GpuImage);
  auto* device = static_cast<uint8_t*>(scratch_.reserve(pixelBytes + planBytes));
  staging_.reserve(planBytes);
  std::memcpy(staging_.data(), plans.data(), planBytes);
  EDGE_CUDA_CHECK(cudaMemcpyAsync(device + pixelBytes, staging_.data(), planBytes, cudaMemcpyHostToDevice, target.stream));
  jpeg_->decode(images, sizes, device, offsets, target.stream);
  launchPreprocess(device, reinterpret_cast<const GpuImage*>(device + pixelBytes), static_cast<int>(images.size()),
                   kernelSpec(spec, target), target.out, target.half, target.stream);
  return sizes;
#else
  (void)images;
  (void)spec;
  (void)maxPixels;
  (void)target;
  throw Error(ErrorCode::Unsupported, "this build has no GPU JPEG decoder (nvJPEG); decode on the CPU");
#endif
}

}  // namespace edge
