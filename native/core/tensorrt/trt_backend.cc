#include "trt_backend.h"

#include <NvInfer.h>
#include <NvOnnxParser.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <type_traits>

#include "../cuda/cuda_check.h"
#include "../cuda/device_buffer.h"
#include "../cuda/device_memory.h"
#include "../cuda/gpu_input.h"
#include "../cuda/pinned_buffer.h"
#include "../error.h"
#include "../stopwatch.h"
#include "build_plan.h"
#include "build_progress.h"
#include "engine_cache.h"
#include "library.h"

namespace edge {

namespace {

using nvinfer1::ILogger;

// Keeps TensorRT's last error for our messages; warnings and errors also go to stderr.
class Logger final : public ILogger {
 public:
  void log(Severity severity, nvinfer1::AsciiChar const* msg) noexcept override {
    if (severity > Severity::kWARNING) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (severity <= Severity::kERROR) last_ = msg;
    std::fprintf(stderr, "edge-classify: TensorRT: %s\n", msg);
  }
  std::string last() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_;
  }

 private:
  mutable std::mutex mutex_;
  std::string last_;
};

// Engine builds take minutes: each top-level phase is reported on stderr, and every phase's steps to
// the process's build progress (build_progress.h), which the CLI draws as a bar.
class Progress final : public nvinfer1::IProgressMonitor {
 public:
  void phaseStart(char const* phase, char const* parent, int32_t steps) noexcept override {
    if (!parent) std::fprintf(stderr, "edge-classify: TensorRT build: %s (%d steps)\n", phase, steps);
    buildProgress().phaseStart(phase, parent != nullptr, steps);
  }
  bool stepComplete(char const* phase, int32_t step) noexcept override {
    buildProgress().step(phase, step);
    return true;
  }
  void phaseFinish(char const* phase) noexcept override {
    buildProgress().phaseFinish(phase);
    std::fprintf(stderr, "edge-classify: TensorRT build: %s done\n", phase);
  }
};

#if NV_TENSORRT_MAJOR < 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
// INT8 calibration (TensorRT's implicit quantisation, deprecated in late 10.x in favour of explicit
// Q/DQ models but still honoured): serves the preprocessed calibration images batch by batch, and
// keeps the calibration table beside the engine so that a rebuild skips the calibration pass.
class Calibrator final : public nvinfer1::IInt8EntropyCalibrator2 {
 public:
  // The tensor must hold calibrationImages images at the ONNX input's size (checkCalibration).
  Calibrator(const BackendOptions& options, int height, int width, std::string table)
      : images_(options.calibration), count_(options.calibrationImages), per_(static_cast<size_t>(3) * height * width),
        batch_(std::max(1, std::min(options.maxBatchSize, 16))), table_(std::move(table)) {}

  int32_t getBatchSize() const noexcept override { return batch_; }

  bool getBatch(void* bindings[], char const* /*names*/[], int32_t nbBindings) noexcept override {
    if (next_ >= count_ || nbBindings < 1) return false;
    const int n = std::min(batch_, count_ - next_);
    const size_t bytes = static_cast<size_t>(batch_) * per_ * sizeof(float);
    if (!device_.data() && !device_.reserveNoThrow(bytes)) return false;
    // a short last batch is padded by repeating its first image
    for (int i = 0; i < batch_; ++i) {
      const float* src = images_.data() + static_cast<size_t>(next_ + (i < n ? i : 0)) * per_;
      if (cudaMemcpy(static_cast<float*>(device_.data()) + static_cast<size_t>(i) * per_, src, per_ * sizeof(float),
                     cudaMemcpyHostToDevice) != cudaSuccess) {
        return false;
      }
    }
    next_ += n;
    bindings[0] = device_.data();
    return true;
  }

  void const* readCalibrationCache(std::size_t& length) noexcept override {
    std::ifstream in(table_, std::ios::binary);
    cache_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    length = cache_.size();
    return cache_.empty() ? nullptr : cache_.data();
  }

  void writeCalibrationCache(void const* data, std::size_t length) noexcept override {
    std::string ignored;  // best effort, atomic: a reader never sees half a table
    writeFileAtomically(table_, data, length, &ignored);
  }

 private:
  const std::vector<float>& images_;
  int count_;
  size_t per_;
  int batch_;
  int next_ = 0;
  std::string table_;
  std::vector<char> cache_;
  DeviceBuffer device_;
};
#pragma GCC diagnostic pop
#endif  // NV_TENSORRT_MAJOR < 11

template <typename T>
std::unique_ptr<T> own(void* p) {
  return std::unique_ptr<T>(static_cast<T*>(p));
}

int deviceIndex(const std::string& device) {
  if (device == "auto" || device == "cuda") return 0;
  if (device.rfind("cuda:", 0) == 0) return std::stoi(device.substr(5));
  throw Error(ErrorCode::InvalidArgument, "the TensorRT backend runs on CUDA: use device 'cuda', 'cuda:N' or 'auto', not '" +
                                              device + "'");
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<char> readFile(const std::string& path) {
  std::vector<char> bytes;
  if (!readWhole(path, &bytes)) throw Error(ErrorCode::ModelLoad, "cannot read " + path);
  return bytes;
}

// What an engine built here depends on besides the ONNX (engine_cache.h).
EngineSettings engineSettings(int device, const BackendOptions& options, const nvinfer1::Dims& dims, int32_t version) {
  cudaDeviceProp prop{};
  EDGE_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  EngineSettings s;
  s.gpu = prop.name;
  s.computeMajor = prop.major;
  s.computeMinor = prop.minor;
  s.tensorRtVersion = version;
  s.precision = options.precision == Precision::FP16 ? "fp16" : options.precision == Precision::INT8 ? "int8" : "fp32";
  s.maxBatch = s.optBatch = dims.d[0] > 0 ? static_cast<int>(dims.d[0]) : options.maxBatchSize;
  s.minBatch = dims.d[0] > 0 ? static_cast<int>(dims.d[0]) : 1;
  s.height = static_cast<int>(dims.d[2]);
  s.width = static_cast<int>(dims.d[3]);
  s.workspaceBytes = options.workspaceBytes;
  return s;
}

// What the parsed network computes in (build_plan.h).
NetworkTypes networkTypes(nvinfer1::INetworkDefinition& network) {
  NetworkTypes types;
  for (int32_t i = 0; i < network.getNbLayers(); ++i) {
    nvinfer1::ILayer* layer = network.getLayer(i);
    const nvinfer1::LayerType kind = layer->getType();
    if (kind == nvinfer1::LayerType::kQUANTIZE || kind == nvinfer1::LayerType::kDEQUANTIZE) types.qdq = true;
    for (int32_t j = 0; j < layer->getNbOutputs(); ++j) {
      const nvinfer1::DataType t = layer->getOutput(j)->getType();
      if (t == nvinfer1::DataType::kHALF || t == nvinfer1::DataType::kBF16) types.half = true;
    }
  }
  return types;
}

// An ONNX file parsed into a network (the builder, network and parser live together).
struct Parsed {
  std::unique_ptr<nvinfer1::IBuilder> builder;
  std::unique_ptr<nvinfer1::INetworkDefinition> network;
  std::unique_ptr<nvonnxparser::IParser> parser;
  nvinfer1::ITensor* input = nullptr;
  nvinfer1::Dims dims{};
};

Parsed parseOnnx(const std::string& onnx, Logger& logger) {
  const TensorRtLibrary& trt = tensorRt();
  Parsed p;
  p.builder = own<nvinfer1::IBuilder>(trt.createBuilder(&logger, NV_TENSORRT_VERSION));
  if (!p.builder) throw Error(ErrorCode::ModelLoad, "TensorRT could not create a builder: " + logger.last());
  // 0: TensorRT 10's weakly typed network (precision from builder flags); TensorRT 11 is always strongly typed
  p.network = std::unique_ptr<nvinfer1::INetworkDefinition>(p.builder->createNetworkV2(0));
  if (!p.network) throw Error(ErrorCode::ModelLoad, "TensorRT could not create a network: " + logger.last());
  p.parser = own<nvonnxparser::IParser>(trt.createOnnxParser(p.network.get(), &logger, NV_ONNX_PARSER_VERSION));
  if (!p.parser) throw Error(ErrorCode::ModelLoad, "TensorRT could not create an ONNX parser: " + logger.last());
  if (!p.parser->parseFromFile(onnx.c_str(), static_cast<int>(ILogger::Severity::kWARNING))) {
    std::string errors;
    for (int32_t i = 0; i < p.parser->getNbErrors(); ++i) errors += std::string(i ? "; " : "") + p.parser->getError(i)->desc();
    throw Error(ErrorCode::ModelLoad, "TensorRT's ONNX parser rejected " + onnx + ": " + errors);
  }
  if (p.network->getNbInputs() != 1) {
    throw Error(ErrorCode::ModelMismatch, onnx + " has " + std::to_string(p.network->getNbInputs()) + " inputs; a classifier has one (N x 3 x H x W)");
  }
  p.input = p.network->getInput(0);
  p.dims = p.input->getDimensions();
  if (p.dims.nbDims != 4 || p.dims.d[1] != 3 || p.dims.d[2] < 1 || p.dims.d[3] < 1) {
    throw Error(ErrorCode::ModelMismatch, onnx + ": the input must be N x 3 x H x W with a fixed H and W");
  }
  return p;
}

// Builds the engine the cache keys on: its profile is the one in `settings` (engine_cache.h).
std::vector<char> buildEngine(Parsed& p, const EngineSettings& settings, const std::string& onnx, const std::string& cache,
                              const BackendOptions& options, Logger& logger) {
  const BuildMode mode = buildMode(NV_TENSORRT_MAJOR, options.precision, networkTypes(*p.network), options.calibrationImages, onnx);
  auto config = std::unique_ptr<nvinfer1::IBuilderConfig>(p.builder->createBuilderConfig());
  if (!config) throw Error(ErrorCode::ModelLoad, "TensorRT could not create a builder config: " + logger.last());
  config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, options.workspaceBytes);
  // fp32 means fp32: no TF32 tensor-core rounding (TensorRT allows it by default on Ampere and later)
  config->clearFlag(nvinfer1::BuilderFlag::kTF32);
  nvinfer1::IOptimizationProfile* profile = p.builder->createOptimizationProfile();
  const char* name = p.input->getName();
  profile->setDimensions(name, nvinfer1::OptProfileSelector::kMIN, nvinfer1::Dims4{settings.minBatch, 3, settings.height, settings.width});
  profile->setDimensions(name, nvinfer1::OptProfileSelector::kOPT, nvinfer1::Dims4{settings.optBatch, 3, settings.height, settings.width});
  profile->setDimensions(name, nvinfer1::OptProfileSelector::kMAX, nvinfer1::Dims4{settings.maxBatch, 3, settings.height, settings.width});
  config->addOptimizationProfile(profile);
#if NV_TENSORRT_MAJOR < 11
  std::unique_ptr<Calibrator> calibrator;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  switch (mode) {
    case BuildMode::Fp16Flag:
      config->setFlag(nvinfer1::BuilderFlag::kFP16);  // deprecated in favour of strongly typed networks, still honoured
      break;
    case BuildMode::Int8Calibrated:
      checkCalibration(options.calibration.size(), options.calibrationImages, settings.height, settings.width, onnx);
      calibrator = std::make_unique<Calibrator>(options, settings.height, settings.width, cache + ".calibration");
      config->setInt8Calibrator(calibrator.get());
      config->setCalibrationProfile(profile);
      [[fallthrough]];
    case BuildMode::Int8Explicit:
      config->setFlag(nvinfer1::BuilderFlag::kINT8);
      config->setFlag(nvinfer1::BuilderFlag::kFP16);  // layers int8 cannot take fall back to fp16
      break;
    case BuildMode::Fp32:
    case BuildMode::StronglyTyped:
      break;
  }
#pragma GCC diagnostic pop
#else
  (void)mode;  // StronglyTyped: the ONNX's own types (buildMode refused what it cannot give)
  (void)cache;
#endif
  Progress progress;
  config->setProgressMonitor(&progress);
  const BuildProgress::Scope building(buildProgress(), onnx);
  auto plan = std::unique_ptr<nvinfer1::IHostMemory>(p.builder->buildSerializedNetwork(*p.network, *config));
  if (!plan) throw Error(ErrorCode::ModelLoad, "TensorRT could not build an engine from " + onnx + ": " + logger.last());
  const char* bytes = static_cast<const char*>(plan->data());
  return std::vector<char>(bytes, bytes + plan->size());
}

class TensorRtBackend final : public Backend {
 public:
  TensorRtBackend(const std::vector<char>& plan, int device, const BackendOptions& options) : device_(device) {
    EDGE_CUDA_CHECK(cudaSetDevice(device_));
    cudaStream_t stream = nullptr;
    EDGE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    stream_.reset(stream);
    runtime_ = own<nvinfer1::IRuntime>(tensorRt().createRuntime(&logger_, NV_TENSORRT_VERSION));
    if (!runtime_) throw Error(ErrorCode::ModelLoad, "TensorRT could not create a runtime: " + logger_.last());
    engine_.reset(runtime_->deserializeCudaEngine(plan.data(), plan.size()));
    if (!engine_) throw Error(ErrorCode::ModelLoad, "TensorRT could not load the engine (built by another TensorRT or for another GPU?): " + logger_.last());
    for (int32_t i = 0; i < engine_->getNbIOTensors(); ++i) {
      const char* name = engine_->getIOTensorName(i);
      if (engine_->getTensorIOMode(name) == nvinfer1::TensorIOMode::kINPUT) {
        if (!input_.empty()) throw Error(ErrorCode::ModelMismatch, "the engine has more than one input; a classifier has one");
        input_ = name;
      } else if (output_.empty()) {
        output_ = name;
      }
    }
    if (input_.empty() || output_.empty()) throw Error(ErrorCode::ModelMismatch, "the engine needs one input and an output");
    const nvinfer1::Dims in = engine_->getTensorShape(input_.c_str());
    if (in.nbDims != 4 || in.d[1] != 3) throw Error(ErrorCode::ModelMismatch, "the engine's input must be N x 3 x H x W");
    height_ = in.d[2];
    width_ = in.d[3];
    maxBatch_ = in.d[0] > 0 ? in.d[0] : engine_->getProfileShape(input_.c_str(), 0, nvinfer1::OptProfileSelector::kMAX).d[0];
    inputHalf_ = engine_->getTensorDataType(input_.c_str()) == nvinfer1::DataType::kHALF;
    outputHalf_ = engine_->getTensorDataType(output_.c_str()) == nvinfer1::DataType::kHALF;
    context_.reset(engine_->createExecutionContext());
    if (!context_) throw Error(ErrorCode::OutOfMemory, "TensorRT could not create an execution context: " + logger_.last());
    graphs_ = options.cudaGraphs;
  }

  Outputs run(int, int n, int height, int width, const InputWriter& write) override {
    return batched(n, height, width, [&](int offset, int count, void* input) {
      const size_t per = static_cast<size_t>(3) * height * width;
      hostFloats_.reserve(static_cast<size_t>(n) * per * sizeof(float));
      float* host = reinterpret_cast<float*>(hostFloats_.data());
      if (offset == 0) write(host);
      const float* chunk = host + static_cast<size_t>(offset) * per;
      const size_t elements = static_cast<size_t>(count) * per;
      if (inputHalf_) {
        hostHalves_.reserve(elements * sizeof(__half));
        auto* halves = reinterpret_cast<__half*>(hostHalves_.data());
        for (size_t i = 0; i < elements; ++i) halves[i] = __float2half(chunk[i]);
        EDGE_CUDA_CHECK(cudaMemcpyAsync(input, halves, elements * sizeof(__half), cudaMemcpyHostToDevice, stream_.get()));
      } else {
        EDGE_CUDA_CHECK(cudaMemcpyAsync(input, chunk, elements * sizeof(float), cudaMemcpyHostToDevice, stream_.get()));
      }
      return 0.0;
    });
  }

  Outputs runImages(int, const std::vector<ImageView>& images, const PreprocessSpec& spec, int) override {
    return batched(static_cast<int>(images.size()), spec.height, spec.width, [&](int offset, int count, void* input) {
      const std::vector<ImageView> chunk(images.begin() + offset, images.begin() + offset + count);
      return gpuInput_.frames(chunk, spec, target(input, inputHalf_));
    });
  }

  std::vector<float> preprocessImages(int, const std::vector<ImageView>& images, const PreprocessSpec& spec, int) override {
    EDGE_CUDA_CHECK(cudaSetDevice(device_));
    std::vector<float> result(images.size() * spec.imageSize());
    DeviceBuffer floats;
    void* out = floats.reserve(result.size() * sizeof(float));
    gpuInput_.frames(images, spec, target(out, false));
    EDGE_CUDA_CHECK(cudaMemcpyAsync(result.data(), out, result.size() * sizeof(float), cudaMemcpyDeviceToHost, stream_.get()));
    EDGE_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
    return result;
  }

  Outputs runEncoded(int, const std::vector<EncodedView>& images, const PreprocessSpec& spec, uint64_t maxPixels,
                     std::vector<std::pair<int, int>>* sizes) override {
    sizes->clear();
    return batched(static_cast<int>(images.size()), spec.height, spec.width, [&](int offset, int count, void* input) {
      const Stopwatch prepare;
      const std::vector<EncodedView> chunk(images.begin() + offset, images.begin() + offset + count);
      const auto decoded = gpuInput_.jpegs(chunk, spec, maxPixels, target(input, inputHalf_));
      sizes->insert(sizes->end(), decoded.begin(), decoded.end());
      return prepare.ms();
    });
  }

  std::vector<float> preprocessEncoded(int, const std::vector<EncodedView>& images, const PreprocessSpec& spec,
                                       uint64_t maxPixels) override {
    EDGE_CUDA_CHECK(cudaSetDevice(device_));
    std::vector<float> result(images.size() * spec.imageSize());
    DeviceBuffer floats;
    void* out = floats.reserve(result.size() * sizeof(float));
    gpuInput_.jpegs(images, spec, maxPixels, target(out, false));
    EDGE_CUDA_CHECK(cudaMemcpyAsync(result.data(), out, result.size() * sizeof(float), cudaMemcpyDeviceToHost, stream_.get()));
    EDGE_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
    return result;
  }

#ifdef EDGE_WITH_NVJPEG
  bool gpuDecode() const override { return true; }
#endif

  std::optional<std::pair<size_t, size_t>> deviceMemory() const override { return edge::deviceMemory(device_); }

  std::string name() const override { return "tensorrt"; }
  std::string device() const override { return "cuda:" + std::to_string(device_); }

 private:
  GpuTarget target(void* out, bool half) const {
    GpuTarget t;
    t.out = out;
    t.half = half;
    t.device = device_;
    t.stream = stream_.get();
    return t;
  }

  // Runs n images in chunks of at most the engine's max batch: fill(offset, count, inputBinding) writes
  // a chunk's input and returns host milliseconds spent preparing it; the scores come back to the host.
  template <typename Fill>
  Outputs batched(int n, int height, int width, Fill&& fill) {
    EDGE_CUDA_CHECK(cudaSetDevice(device_));
    if (height != height_ || width != width_) {
      throw Error(ErrorCode::ModelMismatch, "the engine takes " + std::to_string(width_) + "x" + std::to_string(height_) +
                                                " inputs but the metadata asks for " + std::to_string(width) + "x" +
                                                std::to_string(height) + "; fix \"input\" in the model's metadata");
    }
    const size_t per = static_cast<size_t>(3) * height * width;
    void* input = inputBinding_.reserve(static_cast<size_t>(maxBatch_) * per * (inputHalf_ ? 2 : 4));
    Outputs outputs;
    outputs.rows = n;
    for (int offset = 0; offset < n; offset += maxBatch_) {
      const int count = std::min(maxBatch_, n - offset);
      outputs.prepareMs += fill(offset, count, input);
      if (!context_->setInputShape(input_.c_str(), nvinfer1::Dims4{count, 3, height, width})) {
        throw Error(ErrorCode::Inference, "TensorRT refused a batch of " + std::to_string(count) + ": " + logger_.last());
      }
      const nvinfer1::Dims out = context_->getTensorShape(output_.c_str());
      int64_t cols = 1;
      for (int32_t d = 1; d < out.nbDims; ++d) cols *= out.d[d];
      if (outputs.cols == 0) outputs.cols = static_cast<int>(cols);
      const size_t outBytes = static_cast<size_t>(count) * cols * (outputHalf_ ? 2 : 4);
      void* output = outputBinding_.reserve(static_cast<size_t>(maxBatch_) * cols * 4);
      enqueue(count, input, output);
      hostOutput_.reserve(outBytes);
      EDGE_CUDA_CHECK(cudaMemcpyAsync(hostOutput_.data(), output, outBytes, cudaMemcpyDeviceToHost, stream_.get()));
      EDGE_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
      for (size_t i = 0; i < static_cast<size_t>(count) * cols; ++i) {
        outputs.values.push_back(outputHalf_ ? __half2float(reinterpret_cast<const __half*>(hostOutput_.data())[i])
                                             : reinterpret_cast<const float*>(hostOutput_.data())[i]);
      }
    }
    return outputs;
  }

  void enqueuePlain() {
    if (!context_->enqueueV3(stream_.get())) throw Error(ErrorCode::Inference, "TensorRT inference failed: " + logger_.last());
  }

  // Runs the engine on a batch of `count`: a CUDA graph captured per batch size and replayed later,
  // where TensorRT allows the capture; a plain enqueueV3 otherwise (and from then on for this model).
  void enqueue(int count, void* input, void* output) {
    context_->setTensorAddress(input_.c_str(), input);
    context_->setTensorAddress(output_.c_str(), output);
    if (!graphs_) {
      enqueuePlain();
      return;
    }
    auto it = captured_.find(count);
    if (it != captured_.end() && it->second.input == input && it->second.output == output) {
      EDGE_CUDA_CHECK(cudaGraphLaunch(it->second.exec.get(), stream_.get()));
      return;
    }
    captured_.erase(count);
    enqueuePlain();  // computes this batch, and flushes TensorRT's deferred work after a shape change
    cudaGraph_t graph = nullptr;
    if (cudaStreamBeginCapture(stream_.get(), cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
      cudaGetLastError();
      graphs_ = false;
      return;
    }
    const bool enqueued = context_->enqueueV3(stream_.get());
    const cudaError_t ended = cudaStreamEndCapture(stream_.get(), &graph);
    cudaGraphExec_t exec = nullptr;
    const bool ok = enqueued && ended == cudaSuccess && graph && cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess;
    if (graph) cudaGraphDestroy(graph);
    if (!ok) {
      cudaGetLastError();  // this engine cannot be captured: plain enqueues from now on
      graphs_ = false;
      captured_.clear();
      return;
    }
    captured_.emplace(count, Captured{std::unique_ptr<std::remove_pointer_t<cudaGraphExec_t>, DestroyGraph>(exec), input, output});
  }

  struct DestroyStream {
    void operator()(cudaStream_t s) const noexcept { cudaStreamDestroy(s); }
  };
  struct DestroyGraph {
    void operator()(cudaGraphExec_t g) const noexcept { cudaGraphExecDestroy(g); }
  };
  struct Captured {
    std::unique_ptr<std::remove_pointer_t<cudaGraphExec_t>, DestroyGraph> exec;
    void* input;
    void* output;
  };

  int device_;
  Logger logger_;
  std::unique_ptr<std::remove_pointer_t<cudaStream_t>, DestroyStream> stream_;
  std::unique_ptr<nvinfer1::IRuntime> runtime_;            // outlives the engine
  std::unique_ptr<nvinfer1::ICudaEngine> engine_;          // outlives the context
  std::unique_ptr<nvinfer1::IExecutionContext> context_;
  std::string input_, output_;
  int height_ = 0, width_ = 0, maxBatch_ = 1;
  bool inputHalf_ = false, outputHalf_ = false;  // one lane (concurrency 1): the scheduler runs one call at a time
  bool graphs_ = true;
  std::map<int, Captured> captured_;  // per batch size; before the context, buffers and stream go
  GpuInput gpuInput_;
  DeviceBuffer inputBinding_, outputBinding_;
  PinnedBuffer hostFloats_, hostHalves_, hostOutput_;
};

}  // namespace

LoadedModel loadTensorRtModel(const std::string& path, const BackendOptions& options) {
  const int device = deviceIndex(options.device);
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || device >= count) {
    cudaGetLastError();
    throw Error(ErrorCode::Unsupported, "the TensorRT backend needs a CUDA GPU, and " + options.device + " is not one here");
  }
  EDGE_CUDA_CHECK(cudaSetDevice(device));
  Logger logger;
  if (!endsWith(path, ".onnx")) {
    LoadedModel loaded;
    loaded.backend = std::make_unique<TensorRtBackend>(readFile(path), device, options);
    return loaded;
  }
  // The engine cache (engine_cache.h): parsed once to learn the input's shape for the key, and built
  // from that parse when the cache has no usable engine.
  Parsed parsed = parseOnnx(path, logger);
  const EngineSettings settings = engineSettings(device, options, parsed.dims, tensorRt().version);
  const std::string cache = enginePath(path, identifyOnnx(path), settings);
  const auto build = [&] { return buildEngine(parsed, settings, path, cache, options, logger); };
  CachedEngine engine = loadOrBuildEngine(cache, build);
  if (!engine.rejected.empty()) std::fprintf(stderr, "edge-classify: TensorRT: rebuilt the engine cache (%s)\n", engine.rejected.c_str());
  if (engine.built && !engine.cached) {
    std::fprintf(stderr, "edge-classify: TensorRT: could not write %s (a read-only folder?): the engine is used from memory and will be built again next time\n", cache.c_str());
  }
  LoadedModel loaded;
  try {
    loaded.backend = std::make_unique<TensorRtBackend>(engine.plan, device, options);
  } catch (const Error& error) {
    if (engine.built || error.code() != ErrorCode::ModelLoad) throw;
    // a cached engine TensorRT cannot read (another build of TensorRT wrote it, or it is damaged): build it again
    std::fprintf(stderr, "edge-classify: TensorRT: the cached engine %s could not be loaded (%s): rebuilding it\n", cache.c_str(), error.what());
    engine = rebuildEngine(cache, build);
    loaded.backend = std::make_unique<TensorRtBackend>(engine.plan, device, options);
  }
  return loaded;
}

}  // namespace edge
