#include "ort_backend.h"

#include <onnxruntime_c_api.h>
#include <onnxruntime_float16.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "../stopwatch.h"
#include "../thread_policy.h"
#include "library.h"

namespace edge {

namespace {

const OrtApi& api() { return *static_cast<const OrtApi*>(onnxRuntime().api); }

// IEEE half <-> float with ONNX Runtime's own (header-only) conversions, round to nearest even.
struct Half : onnxruntime_float16::Float16Impl<Half> {
  static uint16_t bits(float v) noexcept { return ToUint16Impl(v); }
  static float value(uint16_t bits) noexcept {
    Half h;
    h.val = bits;
    return h.ToFloatImpl();
  }
};

// Throws edge::Error(code) with ONNX Runtime's message when `status` is an error; releases it.
void check(OrtStatus* status, ErrorCode code, const std::string& what) {
  if (!status) return;
  std::string message = api().GetErrorMessage(status);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const OrtErrorCode ortCode = api().GetErrorCode(status);
  api().ReleaseStatus(status);
  if (ortCode == ORT_NO_SUCHFILE) code = ErrorCode::ModelLoad;
  throw Error(code, what + ": " + message);
}

// Owners of ONNX Runtime's objects, released through the API that made them.
struct Release {
  void operator()(OrtEnv* p) const { api().ReleaseEnv(p); }
  void operator()(OrtSession* p) const { api().ReleaseSession(p); }
  void operator()(OrtSessionOptions* p) const { api().ReleaseSessionOptions(p); }
  void operator()(OrtThreadingOptions* p) const { api().ReleaseThreadingOptions(p); }
  void operator()(OrtMemoryInfo* p) const { api().ReleaseMemoryInfo(p); }
  void operator()(OrtValue* p) const { api().ReleaseValue(p); }
  void operator()(OrtTypeInfo* p) const { api().ReleaseTypeInfo(p); }
  void operator()(OrtTensorTypeAndShapeInfo* p) const { api().ReleaseTensorTypeAndShapeInfo(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Release>;

// The process's environment and its shared intra-op pool (made on first use, on the torch thread,
// so that the pool's threads inherit its niceness). Never released: sessions of models freed at exit
// may still point into it.
OrtEnv* environment() {
  static OrtEnv* env = [] {
    OrtThreadingOptions* raw = nullptr;
    check(api().CreateThreadingOptions(&raw), ErrorCode::Internal, "ONNX Runtime's threading options");
    const Owned<OrtThreadingOptions> threading(raw);
    check(api().SetGlobalIntraOpNumThreads(raw, threadPolicy().threads), ErrorCode::Internal, "ONNX Runtime's threads");
    check(api().SetGlobalInterOpNumThreads(raw, 1), ErrorCode::Internal, "ONNX Runtime's threads");
    // no spinning: a spinning pool collapses when another process takes a core (issue 12)
    check(api().SetGlobalSpinControl(raw, 0), ErrorCode::Internal, "ONNX Runtime's threads");
    OrtEnv* made = nullptr;
    check(api().CreateEnvWithGlobalThreadPools(ORT_LOGGING_LEVEL_ERROR, "edge-classify", raw, &made), ErrorCode::Internal,
          "ONNX Runtime's environment");
    return made;
  }();
  return env;
}

std::string allocatedName(OrtSession* session, size_t index, bool input) {
  OrtAllocator* allocator = nullptr;
  check(api().GetAllocatorWithDefaultOptions(&allocator), ErrorCode::Internal, "ONNX Runtime's allocator");
  char* name = nullptr;
  check(input ? api().SessionGetInputName(session, index, allocator, &name) : api().SessionGetOutputName(session, index, allocator, &name),
        ErrorCode::ModelLoad, "the ONNX model's names");
  std::string out(name);
  check(api().AllocatorFree(allocator, name), ErrorCode::Internal, "ONNX Runtime's allocator");
  return out;
}

struct TensorType {
  ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  std::vector<int64_t> dims;
};

TensorType tensorType(OrtSession* session, size_t index, bool input) {
  OrtTypeInfo* raw = nullptr;
  check(input ? api().SessionGetInputTypeInfo(session, index, &raw) : api().SessionGetOutputTypeInfo(session, index, &raw),
        ErrorCode::ModelLoad, "the ONNX model's types");
  const Owned<OrtTypeInfo> info(raw);
  const OrtTensorTypeAndShapeInfo* tensor = nullptr;
  check(api().CastTypeInfoToTensorInfo(raw, &tensor), ErrorCode::ModelLoad, "the ONNX model's types");
  TensorType out;
  if (!tensor) return out;  // not a tensor (a sequence, a map)
  check(api().GetTensorElementType(tensor, &out.type), ErrorCode::ModelLoad, "the ONNX model's types");
  size_t rank = 0;
  check(api().GetDimensionsCount(tensor, &rank), ErrorCode::ModelLoad, "the ONNX model's types");
  out.dims.resize(rank);
  check(api().GetDimensions(tensor, out.dims.data(), rank), ErrorCode::ModelLoad, "the ONNX model's types");
  return out;
}

std::string describe(const TensorType& t) {
  std::string s = t.type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT     ? "float32"
                  : t.type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 ? "float16"
                                                                     : "element type " + std::to_string(t.type);
  s += " [";
  for (size_t i = 0; i < t.dims.size(); ++i) s += (i ? " x " : "") + (t.dims[i] < 0 ? std::string("?") : std::to_string(t.dims[i]));
  return s + "]";
}

bool isFloat(ONNXTensorElementDataType t) {
  return t == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || t == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
}

// The CUDA device of "cuda" / "cuda:N"; -1 for the CPU ("cpu", "auto").
int cudaOrdinal(const std::string& device) {
  if (device == "cpu" || device == "auto") return -1;
  if (device == "cuda") return 0;
  if (device.rfind("cuda:", 0) == 0 && device.size() > 5 && device.size() < 9 &&
      device.find_first_not_of("0123456789", 5) == std::string::npos) {
    return std::stoi(device.substr(5));
  }
  throw Error(ErrorCode::InvalidArgument, "device '" + device + "' is not 'cpu', 'cuda', 'cuda:N' or 'auto'");
}

// Adds ONNX Runtime's CUDA execution provider on `device`, or says why it cannot be had.
void appendCuda(OrtSessionOptions* options, int device) {
  if (!onnxRuntimeHasCuda()) {
    throw Error(ErrorCode::Unsupported, "the ONNX Runtime found (" + onnxRuntime().version + ", " + onnxRuntime().library +
                                            ") has no CUDA execution provider: point EDGE_ONNXRUNTIME_LIB at a CUDA build's "
                                            "libonnxruntime.so.1 (pip's onnxruntime-gpu), use backend 'tensorrt', or device 'cpu'");
  }
  const std::string id = std::to_string(device);
  const std::string why = "ONNX Runtime's CUDA execution provider could not be loaded for cuda:" + id +
                          " (its provider libraries or CUDA itself are missing: onnxruntime-node ships them only when its "
                          "install script runs with --onnxruntime-node-install=cuda12; pip's onnxruntime-gpu has them; or use "
                          "backend 'tensorrt' or device 'cpu')";
  OrtCUDAProviderOptionsV2* raw = nullptr;
  check(api().CreateCUDAProviderOptions(&raw), ErrorCode::Unsupported, why);
  const std::unique_ptr<OrtCUDAProviderOptionsV2, void (*)(OrtCUDAProviderOptionsV2*)> cuda(raw, [](OrtCUDAProviderOptionsV2* p) {
    api().ReleaseCUDAProviderOptions(p);
  });
  const char* keys[] = {"device_id"};
  const char* values[] = {id.c_str()};
  check(api().UpdateCUDAProviderOptions(raw, keys, values, 1), ErrorCode::Unsupported, why);
  check(api().SessionOptionsAppendExecutionProvider_CUDA_V2(options, raw), ErrorCode::Unsupported, why);
}

class OrtBackend final : public Backend {
 public:
  OrtBackend(Owned<OrtSession> session, std::string input, std::string output, TensorType in, std::string device)
      : session_(std::move(session)), inputName_(std::move(input)), outputName_(std::move(output)), in_(std::move(in)), device_(std::move(device)) {
    OrtMemoryInfo* raw = nullptr;
    check(api().CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault, &raw), ErrorCode::Internal, "ONNX Runtime's memory info");
    memory_.reset(raw);
  }

  Outputs run(int, int n, int height, int width, const InputWriter& write) override {
    const int64_t h = in_.dims[2], w = in_.dims[3];
    if ((h > 0 && h != height) || (w > 0 && w != width)) {
      throw Error(ErrorCode::ModelMismatch, "the ONNX model takes " + describe(in_) + " but the input was preprocessed to " +
                                                std::to_string(height) + " x " + std::to_string(width) +
                                                ": fix \"input\" in the model's metadata");
    }
    // a static batch: chunks of it, the last zero-padded, as Roboflow's server pads
    const int chunk = in_.dims[0] > 0 ? static_cast<int>(in_.dims[0]) : n;
    const int chunks = (n + chunk - 1) / chunk;
    const size_t image = static_cast<size_t>(3) * static_cast<size_t>(height) * static_cast<size_t>(width);
    const size_t floats = static_cast<size_t>(chunks) * static_cast<size_t>(chunk) * image;
    if (input_.size() < floats) input_.resize(floats);
    std::fill(input_.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(n) * image), input_.begin() + static_cast<std::ptrdiff_t>(floats), 0.0f);
    const Stopwatch prepare;
    write(input_.data());
    const bool half = in_.type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    if (half) {
      if (half_.size() < floats) half_.resize(floats);
      for (size_t i = 0; i < floats; ++i) half_[i] = Half::bits(input_[i]);
    }
    Outputs outputs;
    outputs.prepareMs = prepare.ms();
    outputs.rows = n;
    for (int c = 0; c < chunks; ++c) {
      const int64_t shape[4] = {chunk, 3, height, width};
      const size_t offset = static_cast<size_t>(c) * static_cast<size_t>(chunk) * image;
      const size_t count = static_cast<size_t>(chunk) * image;
      OrtValue* rawInput = nullptr;
      check(half ? api().CreateTensorWithDataAsOrtValue(memory_.get(), half_.data() + offset, count * sizeof(uint16_t), shape, 4,
                                                        ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, &rawInput)
                 : api().CreateTensorWithDataAsOrtValue(memory_.get(), input_.data() + offset, count * sizeof(float), shape, 4,
                                                        ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &rawInput),
            ErrorCode::Internal, "the input tensor");
      const Owned<OrtValue> input(rawInput);
      const char* inNames[] = {inputName_.c_str()};
      const char* outNames[] = {outputName_.c_str()};
      OrtValue* rawOutput = nullptr;
      const OrtValue* inputs[] = {input.get()};
      check(api().Run(session_.get(), nullptr, inNames, inputs, 1, outNames, 1, &rawOutput), ErrorCode::Inference,
            "ONNX Runtime failed on a batch of " + std::to_string(chunk));
      const Owned<OrtValue> output(rawOutput);
      const int rows = std::min(chunk, n - c * chunk);
      appendRows(output.get(), chunk, rows, outputs);
    }
    return outputs;
  }

  std::string name() const override { return "onnxruntime"; }
  std::string device() const override { return device_; }

 private:
  // The first `rows` of an output of `batch` rows, read in place and widened to float.
  void appendRows(const OrtValue* value, int batch, int rows, Outputs& outputs) const {
    OrtTensorTypeAndShapeInfo* raw = nullptr;
    check(api().GetTensorTypeAndShape(value, &raw), ErrorCode::Inference, "the ONNX model's output");
    const Owned<OrtTensorTypeAndShapeInfo> info(raw);
    ONNXTensorElementDataType type{};
    size_t elements = 0;
    check(api().GetTensorElementType(raw, &type), ErrorCode::Inference, "the ONNX model's output");
    check(api().GetTensorShapeElementCount(raw, &elements), ErrorCode::Inference, "the ONNX model's output");
    if (!isFloat(type) || batch < 1 || elements % static_cast<size_t>(batch) != 0 || elements == 0) {
      throw Error(ErrorCode::ModelMismatch, "the ONNX model's output " + outputName_ + " is not one float row per image (" +
                                                std::to_string(elements) + " values of type " + std::to_string(type) +
                                                " for a batch of " + std::to_string(batch) + ")");
    }
    const int cols = static_cast<int>(elements / static_cast<size_t>(batch));
    if (outputs.cols && outputs.cols != cols) throw Error(ErrorCode::Inference, "the ONNX model's output width changed between chunks");
    outputs.cols = cols;
    void* data = nullptr;
    check(api().GetTensorMutableData(const_cast<OrtValue*>(value), &data), ErrorCode::Inference, "the ONNX model's output");
    const size_t count = static_cast<size_t>(rows) * static_cast<size_t>(cols);
    const size_t at = outputs.values.size();
    outputs.values.resize(at + count);
    if (type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
      std::memcpy(outputs.values.data() + at, data, count * sizeof(float));
    } else {
      const auto* half = static_cast<const uint16_t*>(data);
      for (size_t i = 0; i < count; ++i) outputs.values[at + i] = Half::value(half[i]);
    }
  }

  Owned<OrtSession> session_;
  std::string inputName_, outputName_;
  TensorType in_;
  std::string device_;  // "cpu" or "cuda:N" (the CUDA execution provider; inputs are staged by ONNX Runtime)
  Owned<OrtMemoryInfo> memory_;
  std::vector<float> input_;      // the preprocessing writes here (lane 0 only: one lane)
  std::vector<uint16_t> half_;    // float16 models: the same input in half
};

}  // namespace

bool onnxRuntimeHasCuda() {
  char** names = nullptr;
  int count = 0;
  if (OrtStatus* status = api().GetAvailableProviders(&names, &count)) {
    api().ReleaseStatus(status);
    return false;
  }
  bool found = false;
  for (int i = 0; i < count; ++i) found = found || std::strcmp(names[i], "CUDAExecutionProvider") == 0;
  if (OrtStatus* status = api().ReleaseAvailableProviders(names, count)) api().ReleaseStatus(status);
  return found;
}

LoadedModel loadOnnxRuntimeModel(const std::string& path, const BackendOptions& options) {
  const int cuda = cudaOrdinal(options.device);
  OrtEnv* env = environment();  // first: ONNX Runtime logs through it, from the session options on
  if (options.precision != Precision::FP32) {
    throw Error(ErrorCode::Unsupported, "backend 'onnxruntime' takes the precision from the ONNX (an fp16 ONNX runs in half): "
                                        "use precision 'fp32' (the default)");
  }
  OrtSessionOptions* rawOptions = nullptr;
  check(api().CreateSessionOptions(&rawOptions), ErrorCode::Internal, "ONNX Runtime's session options");
  const Owned<OrtSessionOptions> sessionOptions(rawOptions);
  check(api().SetSessionGraphOptimizationLevel(rawOptions, options.optimize ? ORT_ENABLE_ALL : ORT_DISABLE_ALL), ErrorCode::Internal,
        "ONNX Runtime's session options");
  check(api().SetSessionExecutionMode(rawOptions, ORT_SEQUENTIAL), ErrorCode::Internal, "ONNX Runtime's session options");
  if (cuda >= 0) appendCuda(rawOptions, cuda);
  if (options.threads > 0) {
    // this model's own pool of `threads` (the option overrides the process's budget), not spinning
    check(api().SetIntraOpNumThreads(rawOptions, options.threads), ErrorCode::Internal, "ONNX Runtime's session options");
    check(api().SetInterOpNumThreads(rawOptions, 1), ErrorCode::Internal, "ONNX Runtime's session options");
    check(api().AddSessionConfigEntry(rawOptions, "session.intra_op.allow_spinning", "0"), ErrorCode::Internal,
          "ONNX Runtime's session options");
  } else {
    check(api().DisablePerSessionThreads(rawOptions), ErrorCode::Internal, "ONNX Runtime's session options");
  }
  OrtSession* rawSession = nullptr;
  check(api().CreateSession(env, path.c_str(), rawOptions, &rawSession), ErrorCode::ModelLoad,
        "ONNX Runtime could not load " + path + " (a corrupt or truncated ONNX file?)");
  Owned<OrtSession> session(rawSession);
  size_t inputs = 0, outputs = 0;
  check(api().SessionGetInputCount(rawSession, &inputs), ErrorCode::ModelLoad, "the ONNX model's inputs");
  check(api().SessionGetOutputCount(rawSession, &outputs), ErrorCode::ModelLoad, "the ONNX model's outputs");
  if (inputs != 1 || outputs < 1) {
    throw Error(ErrorCode::ModelMismatch, path + " has " + std::to_string(inputs) + " inputs and " + std::to_string(outputs) +
                                              " outputs; a classifier takes one image tensor and gives at least one output");
  }
  TensorType in = tensorType(rawSession, 0, true);
  TensorType out = tensorType(rawSession, 0, false);
  if (!isFloat(in.type) || in.dims.size() != 4 || (in.dims[1] > 0 && in.dims[1] != 3)) {
    throw Error(ErrorCode::ModelMismatch, path + "'s input is " + describe(in) +
                                              "; edge-classify feeds images as N x 3 x H x W float32 or float16 (NCHW)");
  }
  if (!isFloat(out.type)) {
    throw Error(ErrorCode::ModelMismatch, path + "'s first output is " + describe(out) + "; a classifier gives float scores");
  }
  LoadedModel loaded;
  loaded.backend = std::make_unique<OrtBackend>(std::move(session), allocatedName(rawSession, 0, true), allocatedName(rawSession, 0, false),
                                                std::move(in), cuda >= 0 ? "cuda:" + std::to_string(cuda) : "cpu");
  return loaded;
}

}  // namespace edge
