#include "torch_cuda_backend.h"

#include <ATen/Context.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <algorithm>
#include <cstring>
#include <atomic>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "../stopwatch.h"
#include "../torch_common.h"
#include "cuda_check.h"
#include "device_memory.h"
#include "pinned_buffer.h"
#include "gpu_input.h"

namespace edge {

namespace {

// The static input/output of one captured batch size.
struct CapturedGraph {
  torch::Tensor input;
  torch::Tensor output;
  std::unique_ptr<at::cuda::CUDAGraph> graph;
};

// One CUDA stream and everything a batch in flight on it needs: staging and input path, the float
// input of run(), and its captured graphs with their memory pool. Batches on different lanes overlap
// (copies, preprocessing and inference of consecutive batches), so lanes share nothing mutable.
struct Lane {
  explicit Lane(c10::cuda::CUDAStream s) : stream(s) {}
  c10::cuda::CUDAStream stream;
  GpuInput input;                           // frames / JPEGs -> the input tensor
  PinnedBuffer hostInput;                   // float input for run()
  std::map<int, CapturedGraph> graphs;      // by rows (a power of two)
  at::cuda::MempoolId_t pool = at::cuda::graph_pool_handle();  // shared by this lane's graphs only
};

class TorchCudaBackend final : public Backend {
 public:
  TorchCudaBackend(torch::jit::Module module, torch::Device device, const BackendOptions& options)
      : module_(std::move(module)),
        device_(device),
        half_(options.precision == Precision::FP16),
        channelsLast_(options.channelsLast),
        graphs_(options.cudaGraphs) {
    const int lanes = std::max(1, std::min(options.cudaStreams, 8));
    for (int i = 0; i < lanes; ++i) {
      lanes_.push_back(std::make_unique<Lane>(c10::cuda::getStreamFromPool(/*isHighPriority=*/true, device.index())));
    }
  }

  int concurrency() const override { return static_cast<int>(lanes_.size()); }

  Outputs run(int laneIndex, int n, int height, int width, const InputWriter& write) override {
    return guarded(laneIndex, n, height, width, [&](Lane& lane) {
      lane.hostInput.reserve(static_cast<size_t>(n) * 3 * height * width * sizeof(float));
      float* host = reinterpret_cast<float*>(lane.hostInput.data());
      const Stopwatch prepare;
      write(host);
      const double prepareMs = prepare.ms();
      torch::Tensor input = inputTensor(lane, n, height, width);
      torch::Tensor staged = torch::from_blob(host, {n, 3, height, width}, torch::kFloat32);
      // Pinned -> device copy on our stream, then the cast to the model's precision.
      torch::Tensor onDevice = staged.to(device_, /*non_blocking=*/true);
      input.narrow(0, 0, n).copy_(onDevice);
      Outputs outputs = forward(lane, n, input);
      outputs.prepareMs = prepareMs;
      return outputs;
    });
  }

  Outputs runTokens(int laneIndex, const int32_t* tokens, int n, int length) override {
    return guarded(laneIndex, n, 1, length, [&](Lane&) {
      torch::Tensor ids = torch::from_blob(const_cast<int32_t*>(tokens), {n, length}, torch::kInt32).to(device_, torch::kInt64);
      return toOutputs(firstTensor(module_.forward({ids})), n);
    });
  }

  Outputs runImages(int laneIndex, const std::vector<ImageView>& images, const PreprocessSpec& spec, int) override {
    const int n = static_cast<int>(images.size());
    return guarded(laneIndex, n, spec.height, spec.width, [&](Lane& lane) {
      torch::Tensor input = inputTensor(lane, n, spec.height, spec.width);
      const double prepareMs = lane.input.frames(images, spec, target(lane, input));
      Outputs outputs = forward(lane, n, input);
      outputs.prepareMs = prepareMs;
      return outputs;
    });
  }

  std::vector<float> preprocessImages(int laneIndex, const std::vector<ImageView>& images, const PreprocessSpec& spec, int) override {
    const int n = static_cast<int>(images.size());
    std::vector<float> result;
    guarded(laneIndex, n, spec.height, spec.width, [&](Lane& lane) {
      torch::Tensor input = emptyInput(n, spec.height, spec.width);
      lane.input.frames(images, spec, target(lane, input));
      torch::Tensor host = input.to(torch::kCPU, torch::kFloat32).contiguous();
      result.assign(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
      return Outputs{};
    });
    return result;
  }

#ifdef EDGE_WITH_NVJPEG
  Outputs runEncoded(int laneIndex, const std::vector<EncodedView>& images, const PreprocessSpec& spec, uint64_t maxPixels,
                     std::vector<std::pair<int, int>>* sizes) override {
    const int n = static_cast<int>(images.size());
    return guarded(laneIndex, n, spec.height, spec.width, [&](Lane& lane) {
      torch::Tensor input = inputTensor(lane, n, spec.height, spec.width);
      const Stopwatch prepare;
      *sizes = lane.input.jpegs(images, spec, maxPixels, target(lane, input));
      const double prepareMs = prepare.ms();
      Outputs outputs = forward(lane, n, input);
      outputs.prepareMs = prepareMs;
      return outputs;
    });
  }

  std::vector<float> preprocessEncoded(int laneIndex, const std::vector<EncodedView>& images, const PreprocessSpec& spec,
                                       uint64_t maxPixels) override {
    const int n = static_cast<int>(images.size());
    std::vector<float> result;
    guarded(laneIndex, n, spec.height, spec.width, [&](Lane& lane) {
      torch::Tensor input = emptyInput(n, spec.height, spec.width);
      lane.input.jpegs(images, spec, maxPixels, target(lane, input));
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

  std::optional<std::pair<size_t, size_t>> deviceMemory() const override { return edge::deviceMemory(device_.index()); }

 private:
  torch::TensorOptions dtypeOptions() const {
    return torch::TensorOptions().device(device_).dtype(half_ ? torch::kHalf : torch::kFloat32);
  }

  // A model input: NCHW, or NCHW-shaped with channels-last memory.
  torch::Tensor emptyInput(int n, int height, int width) const {
    return torch::empty({n, 3, height, width},
                        dtypeOptions().memory_format(channelsLast_ ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
  }

  // Where the preprocessing writes: `input`'s memory, in the model's precision and layout, on our stream.
  GpuTarget target(const Lane& lane, const torch::Tensor& input) const {
    GpuTarget t;
    t.out = input.data_ptr();
    t.half = half_;
    t.nhwc = channelsLast_;
    t.device = device_.index();
    t.stream = lane.stream.stream();
    return t;
  }

  // Runs `body(lane)` on the scheduler's lane `index`, under the model's device and that lane's
  // stream; maps failures to typed errors.
  template <typename Body>
  Outputs guarded(int index, int n, int height, int width, Body&& body) {
    if (index < 0 || index >= static_cast<int>(lanes_.size())) {
      throw Error(ErrorCode::Internal, "lane " + std::to_string(index) + " of " + std::to_string(lanes_.size()));
    }
    Lane& lane = *lanes_[static_cast<size_t>(index)];
    try {
      c10::InferenceMode inference;
      c10::cuda::CUDAGuard deviceGuard(device_);
      c10::cuda::CUDAStreamGuard streamGuard(lane.stream);
      return body(lane);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::OutOfMemory) releaseCachedMemory(lane);
      throw;
    } catch (const std::exception& e) {
      Error error = forwardError(e, n, height, width);
      if (error.code() == ErrorCode::OutOfMemory) releaseCachedMemory(lane);
      throw error;
    }
  }

  // After an out-of-memory failure: drop the lane's graphs and scratch, and the allocator's unused cache,
  // so that smaller batches fit. (Other lanes keep theirs: emptyCache frees only unused blocks.)
  // emptyCache must not run while another lane captures a graph: captures hold memoryGuard_ shared,
  // the release holds it exclusively.
  void releaseCachedMemory(Lane& lane) {
    lane.graphs.clear();
    lane.pool = at::cuda::graph_pool_handle();
    lane.input.release();
    cudaGetLastError();
    std::unique_lock<std::shared_mutex> exclusive(memoryGuard_);
    c10::cuda::CUDACachingAllocator::emptyCache();
  }

  // With graphs, a batch of n runs in the graph of the next power of two — the rows past n hold zeros
  // or an earlier batch's inputs, and their outputs are dropped — so that the dynamic batcher's many
  // batch sizes need at most log2(max) graphs, all allocating from one memory pool (their replays never
  // overlap: a lane runs one batch at a time).
  int rowsFor(int n) const {
    if (!graphs_) return n;
    int rows = 1;
    while (rows < n) rows *= 2;
    return rows;
  }

  // The tensor to write a batch of n into (rowsFor(n) rows): a captured graph's static input, or a new one.
  torch::Tensor inputTensor(Lane& lane, int n, int height, int width) {
    const int rows = rowsFor(n);
    if (graphs_) {
      auto it = lane.graphs.find(rows);
      if (it != lane.graphs.end() && it->second.input.size(2) == height && it->second.input.size(3) == width) {
        return it->second.input;
      }
    }
    torch::Tensor input = emptyInput(rows, height, width);
    if (rows > n) input.zero_();
    return input;
  }

  // Runs `input` (its first n rows are the batch) and returns the n rows of scores.
  Outputs forward(Lane& lane, int n, const torch::Tensor& input) {
    const int rows = static_cast<int>(input.size(0));
    if (graphs_) {
      auto it = lane.graphs.find(rows);
      if (it != lane.graphs.end() && it->second.input.data_ptr() == input.data_ptr()) {
        it->second.graph->replay();
        return toOutputs(it->second.output.narrow(0, 0, n), n);
      }
      if (it == lane.graphs.end() && capture(lane, rows, input)) {
        CapturedGraph& g = lane.graphs.at(rows);
        g.input.copy_(input);
        g.graph->replay();
        return toOutputs(g.output.narrow(0, 0, n), n);
      }
    }
    return toOutputs(firstTensor(module_.forward({input})).narrow(0, 0, n), n);
  }

  // Captures the forward pass for batch size n; on failure graphs are turned off for this model.
  bool capture(Lane& lane, int n, const torch::Tensor& like) {
    CapturedGraph g;
    g.input = torch::empty_like(like);  // keeps like's memory format
    g.input.copy_(like);
    try {
      for (int i = 0; i < 3; ++i) module_.forward({g.input});  // warm-up: profiling executor, cuDNN autotuning
      EDGE_CUDA_CHECK(cudaStreamSynchronize(lane.stream.stream()));
      g.graph = std::make_unique<at::cuda::CUDAGraph>();
      const std::shared_lock<std::shared_mutex> capturing(memoryGuard_);  // no emptyCache meanwhile
      // thread-local capture: other lanes keep running (and allocating) on their own threads meanwhile
      g.graph->capture_begin(lane.pool, cudaStreamCaptureModeThreadLocal);
      try {
        g.output = firstTensor(module_.forward({g.input}));
        g.graph->capture_end();
      } catch (...) {
        cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
        cudaStreamIsCapturing(lane.stream.stream(), &status);
        if (status != cudaStreamCaptureStatusNone) {
          cudaGraph_t broken = nullptr;
          cudaStreamEndCapture(lane.stream.stream(), &broken);
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
    lane.graphs.emplace(n, std::move(g));
    return true;
  }

  torch::jit::Module module_;  // forward() may run on several lanes at once (TorchScript inference is thread-safe)
  torch::Device device_;
  bool half_;
  bool channelsLast_;
  std::atomic<bool> graphs_;  // off for good once a capture fails
  std::vector<std::unique_ptr<Lane>> lanes_;  // lane i: the scheduler's lane i, one call at a time
  std::shared_mutex memoryGuard_;             // graph captures (shared) vs emptyCache (exclusive)
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
