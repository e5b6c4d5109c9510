#include "torch_cuda_backend.h"

#include <ATen/Context.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include "../parallel.h"
#include "../stopwatch.h"
#include "../torch_common.h"
#include "cuda_check.h"
#include "pinned_buffer.h"
#include "preprocess_kernel.h"
#ifdef EDGE_WITH_NVJPEG
#include "jpeg_decoder.h"
#endif

namespace edge {

namespace {

// The static input/output of one captured batch size.
struct CapturedGraph {
  torch::Tensor input;
  torch::Tensor output;
  std::unique_ptr<at::cuda::CUDAGraph> graph;
};

class TorchCudaBackend final : public Backend {
 public:
  TorchCudaBackend(torch::jit::Module module, torch::Device device, const BackendOptions& options)
      : module_(std::move(module)),
        device_(device),
        half_(options.precision == Precision::FP16),
        channelsLast_(options.channelsLast),
        graphs_(options.cudaGraphs),
        stream_(c10::cuda::getStreamFromPool(/*isHighPriority=*/true, device.index())) {}

  Outputs run(int n, int height, int width, const InputWriter& write) override {
    return guarded(n, height, width, [&] {
      hostInput_.reserve(static_cast<size_t>(n) * 3 * height * width * sizeof(float));
      float* host = reinterpret_cast<float*>(hostInput_.data());
      const Stopwatch prepare;
      write(host);
      const double prepareMs = prepare.ms();
      torch::Tensor input = inputTensor(n, height, width);
      torch::Tensor staged = torch::from_blob(host, {n, 3, height, width}, torch::kFloat32);
      // Pinned -> device copy on our stream, then the cast to the model's precision.
      torch::Tensor onDevice = staged.to(device_, /*non_blocking=*/true);
      input.copy_(onDevice);
      Outputs outputs = forward(n, input);
      outputs.prepareMs = prepareMs;
      return outputs;
    });
  }

  Outputs runImages(const std::vector<ImageView>& images, const PreprocessSpec& spec, int) override {
    const int n = static_cast<int>(images.size());
    return guarded(n, spec.height, spec.width, [&] {
      torch::Tensor input = inputTensor(n, spec.height, spec.width);
      const double prepareMs = preprocessInto(images, spec, input);
      Outputs outputs = forward(n, input);
      outputs.prepareMs = prepareMs;
      return outputs;
    });
  }

  std::vector<float> preprocessImages(const std::vector<ImageView>& images, const PreprocessSpec& spec, int) override {
    const int n = static_cast<int>(images.size());
    std::vector<float> result;
    guarded(n, spec.height, spec.width, [&] {
      torch::Tensor input = emptyInput(n, spec.height, spec.width);
      preprocessInto(images, spec, input);
      torch::Tensor host = input.to(torch::kCPU, torch::kFloat32).contiguous();
      result.assign(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
      return Outputs{};
    });
    return result;
  }

#ifdef EDGE_WITH_NVJPEG
  Outputs runEncoded(const std::vector<EncodedView>& images, const PreprocessSpec& spec, uint64_t maxPixels,
                     std::vector<std::pair<int, int>>* sizes) override {
    const int n = static_cast<int>(images.size());
    return guarded(n, spec.height, spec.width, [&] {
      torch::Tensor input = inputTensor(n, spec.height, spec.width);
      const Stopwatch prepare;
      *sizes = decodeInto(images, spec, maxPixels, input);
      const double prepareMs = prepare.ms();
      Outputs outputs = forward(n, input);
      outputs.prepareMs = prepareMs;
      return outputs;
    });
  }

  std::vector<float> preprocessEncoded(const std::vector<EncodedView>& images, const PreprocessSpec& spec,
                                       uint64_t maxPixels) override {
    const int n = static_cast<int>(images.size());
    std::vector<float> result;
    guarded(n, spec.height, spec.width, [&] {
      torch::Tensor input = emptyInput(n, spec.height, spec.width);
      decodeInto(images, spec, maxPixels, input);
      torch::Tensor host = input.to(torch::kCPU, torch::kFloat32).contiguous();
      result.assign(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
      return Outputs{};
    });
    return result;
  }

  bool gpuDecode() const override { return true; }
#endif

  std::string name() const override { return "torch"; }
  std::string device() const override { return device_.str(); }

  std::optional<std::pair<size_t, size_t>> deviceMemory() const override {
    c10::cuda::CUDAGuard deviceGuard(device_);
    size_t free = 0, total = 0;
    if (cudaMemGetInfo(&free, &total) != cudaSuccess) {
      cudaGetLastError();
      return std::nullopt;
    }
    return std::make_pair(free, total);
  }

 private:
  torch::TensorOptions dtypeOptions() const {
    return torch::TensorOptions().device(device_).dtype(half_ ? torch::kHalf : torch::kFloat32);
  }

  // A model input: NCHW, or NCHW-shaped with channels-last memory.
  torch::Tensor emptyInput(int n, int height, int width) const {
    return torch::empty({n, 3, height, width},
                        dtypeOptions().memory_format(channelsLast_ ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
  }

  GpuSpec kernelSpec(const PreprocessSpec& spec) const {
    GpuSpec g = ::edge::gpuSpec(spec);
    g.nhwc = channelsLast_;
    return g;
  }

  // Runs `body` under the model's lock, device and stream; maps failures to typed errors.
  template <typename Body>
  Outputs guarded(int n, int height, int width, Body&& body) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      c10::InferenceMode inference;
      c10::cuda::CUDAGuard deviceGuard(device_);
      c10::cuda::CUDAStreamGuard streamGuard(stream_);
      return body();
    } catch (const Error& e) {
      if (e.code() == ErrorCode::OutOfMemory) releaseCachedMemory();
      throw;
    } catch (const std::exception& e) {
      Error error = forwardError(e, n, height, width);
      if (error.code() == ErrorCode::OutOfMemory) releaseCachedMemory();
      throw error;
    }
  }

  // After an out-of-memory failure: drop the captured graphs and the allocator's cache so that smaller batches fit.
  void releaseCachedMemory() {
    graphsByBatch_.clear();
    devicePixels_ = torch::Tensor();
    cudaGetLastError();
    c10::cuda::CUDACachingAllocator::emptyCache();
  }

  // Device scratch of at least `bytes`, reused between calls (our stream orders its uses).
  uint8_t* deviceScratch(uint64_t bytes) {
    if (!devicePixels_.defined() || static_cast<uint64_t>(devicePixels_.numel()) < bytes) {
      devicePixels_ = torch::Tensor();
      devicePixels_ = torch::empty({static_cast<int64_t>(bytes)}, torch::TensorOptions().device(device_).dtype(torch::kUInt8));
    }
    return devicePixels_.data_ptr<uint8_t>();
  }

#ifdef EDGE_WITH_NVJPEG
  // nvJPEG decodes every image into device scratch, then the kernel writes `input`.
  std::vector<std::pair<int, int>> decodeInto(const std::vector<EncodedView>& images, const PreprocessSpec& spec,
                                              uint64_t maxPixels, torch::Tensor& input) {
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
    for (size_t i = 0; i < plans.size(); ++i) offsets[i] = plans[i].offset;
    const size_t planBytes = plans.size() * sizeof(GpuImage);
    uint8_t* device = deviceScratch(pixelBytes + planBytes);
    staging_.reserve(planBytes);
    std::memcpy(staging_.data(), plans.data(), planBytes);
    EDGE_CUDA_CHECK(cudaMemcpyAsync(device + pixelBytes, staging_.data(), planBytes, cudaMemcpyHostToDevice, stream_.stream()));
    jpeg_->decode(images, sizes, device, offsets, stream_.stream());
    launchPreprocess(device, reinterpret_cast<const GpuImage*>(device + pixelBytes), static_cast<int>(images.size()),
                     kernelSpec(spec), input.data_ptr(), half_, stream_.stream());
    return sizes;
  }
#endif

  // Copies the pixels into pinned staging once, sends them to the GPU and runs the kernel into `input`.
  // Returns the host time spent staging. Several threads copy contiguous runs of images (one thread
  // moves well under what PCIe takes); each sends every ~4 MiB it has staged at once, so that the
  // transfer of one piece overlaps the copying of the next.
  double preprocessInto(const std::vector<ImageView>& images, const PreprocessSpec& spec, torch::Tensor& input) {
    const Stopwatch prepare;
    uint64_t pixelBytes = 0;
    const std::vector<GpuImage> plans = planGpuBatch(images, spec, &pixelBytes);
    const size_t planBytes = plans.size() * sizeof(GpuImage);
    uint8_t* device = deviceScratch(pixelBytes + planBytes);
    staging_.reserve(pixelBytes + planBytes);
    const size_t n = images.size();
    const size_t workers = std::min<size_t>({8, n, 1 + pixelBytes / (2u << 20)});
    constexpr uint64_t kPiece = 4u << 20;
    cudaStream_t stream = stream_.stream();
    const int deviceIndex = device_.index();
    std::vector<cudaError_t> status(workers, cudaSuccess);
    parallelFor(workers, static_cast<int>(workers), [&](size_t t) {
      cudaError_t& error = status[t];
      error = cudaSetDevice(deviceIndex);  // worker threads start on device 0
      const size_t first = n * t / workers;
      const size_t last = n * (t + 1) / workers;
      size_t pieceStart = first;
      auto send = [&](size_t end) {  // images [pieceStart, end) are staged: transfer them
        const uint64_t from = plans[pieceStart].offset;
        const uint64_t to = plans[end - 1].offset + images[end - 1].byteSize();
        if (error == cudaSuccess) {
          error = cudaMemcpyAsync(device + from, staging_.data() + from, to - from, cudaMemcpyHostToDevice, stream);
        }
        pieceStart = end;
      };
      for (size_t i = first; i < last; ++i) {
        std::memcpy(staging_.data() + plans[i].offset, images[i].data, images[i].byteSize());
        if (plans[i].offset + images[i].byteSize() - plans[pieceStart].offset >= kPiece) send(i + 1);
      }
      if (pieceStart < last) send(last);
    });
    for (cudaError_t error : status) EDGE_CUDA_CHECK(error);
    std::memcpy(staging_.data() + pixelBytes, plans.data(), planBytes);
    EDGE_CUDA_CHECK(cudaMemcpyAsync(device + pixelBytes, staging_.data() + pixelBytes, planBytes, cudaMemcpyHostToDevice, stream));
    const double prepareMs = prepare.ms();
    launchPreprocess(device, reinterpret_cast<const GpuImage*>(device + pixelBytes), static_cast<int>(n), kernelSpec(spec),
                     input.data_ptr(), half_, stream);
    return prepareMs;
  }

  // The tensor to write a batch of n into: a captured graph's static input, or a fresh one.
  torch::Tensor inputTensor(int n, int height, int width) {
    if (graphs_) {
      auto it = graphsByBatch_.find(n);
      if (it != graphsByBatch_.end() && it->second.input.size(2) == height && it->second.input.size(3) == width) {
        return it->second.input;
      }
    }
    return emptyInput(n, height, width);
  }

  Outputs forward(int n, const torch::Tensor& input) {
    if (graphs_) {
      auto it = graphsByBatch_.find(n);
      if (it != graphsByBatch_.end() && it->second.input.data_ptr() == input.data_ptr()) {
        it->second.graph->replay();
        return toOutputs(it->second.output, n);
      }
      if (it == graphsByBatch_.end() && capture(n, input)) {
        CapturedGraph& g = graphsByBatch_.at(n);
        g.input.copy_(input);
        g.graph->replay();
        return toOutputs(g.output, n);
      }
    }
    return toOutputs(firstTensor(module_.forward({input})), n);
  }

  // Captures the forward pass for batch size n; on failure graphs are turned off for this model.
  bool capture(int n, const torch::Tensor& like) {
    CapturedGraph g;
    g.input = torch::empty_like(like);  // keeps like's memory format
    g.input.copy_(like);
    try {
      for (int i = 0; i < 3; ++i) module_.forward({g.input});  // warm-up: profiling executor, cuDNN autotuning
      EDGE_CUDA_CHECK(cudaStreamSynchronize(stream_.stream()));
      g.graph = std::make_unique<at::cuda::CUDAGraph>();
      g.graph->capture_begin();
      try {
        g.output = firstTensor(module_.forward({g.input}));
        g.graph->capture_end();
      } catch (...) {
        cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
        cudaStreamIsCapturing(stream_.stream(), &status);
        if (status != cudaStreamCaptureStatusNone) {
          cudaGraph_t broken = nullptr;
          cudaStreamEndCapture(stream_.stream(), &broken);
          if (broken) cudaGraphDestroy(broken);
        }
        cudaGetLastError();  // clear the capture error
        throw;
      }
    } catch (const std::exception& e) {
      if (isOutOfMemory(e)) throw;
      graphs_ = false;  // this model cannot be captured: run it eagerly from now on
      return false;
    }
    graphsByBatch_.emplace(n, std::move(g));
    return true;
  }

  torch::jit::Module module_;
  torch::Device device_;
  bool half_;
  bool channelsLast_;
  bool graphs_;
  c10::cuda::CUDAStream stream_;
  std::mutex mutex_;
  PinnedBuffer staging_;    // uint8 pixels + per-image plans
  PinnedBuffer hostInput_;  // float input for run()
  torch::Tensor devicePixels_;
  std::map<int, CapturedGraph> graphsByBatch_;
#ifdef EDGE_WITH_NVJPEG
  std::unique_ptr<JpegDecoder> jpeg_;  // created on first use
#endif
};

}  // namespace

std::unique_ptr<Backend> makeTorchCudaBackend(torch::jit::Module module, torch::Device device, const BackendOptions& options) {
  at::globalContext().setBenchmarkCuDNN(true);  // cuDNN autotuning per input shape
  if (options.precision == Precision::FP32) {
    // fp32 means fp32: no TF32 tensor-core rounding (process-wide libtorch settings)
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
  module.to(device);
  if (options.precision == Precision::FP16) module.to(torch::kHalf);
  if (options.channelsLast) {
    // 4-D weights (convolutions) channels-last too, before freezing folds them into the graph
    for (torch::Tensor p : module.parameters()) {
      if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
  module.eval();
  if (options.optimize) {
    try {
      module = torch::jit::optimize_for_inference(module);
    } catch (const c10::Error&) {
      // Some scripted models cannot be frozen; they still run unoptimised.
    }
  }
  return std::make_unique<TorchCudaBackend>(std::move(module), device, options);
}

}  // namespace edge
