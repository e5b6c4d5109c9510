#include "torch_backend.h"

#include <torch/script.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <ATen/Parallel.h>

#include <fstream>
#include <mutex>
#include <sys/stat.h>

#include "error.h"

namespace edge {

namespace {

// c10 messages carry a C++ backtrace after the first lines: keep the useful part.
std::string shortMessage(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  const size_t cut = m.find("\nException raised from");
  if (cut != std::string::npos) m.resize(cut);
  return m;
}

torch::Device parseDevice(const std::string& device) {
  if (device == "cpu") return torch::Device(torch::kCPU);
  if (device.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw Error(ErrorCode::Unsupported,
                  "device '" + device + "' requested but this libtorch sees no CUDA GPU; use device: 'cpu' or 'auto'");
    }
    int index = 0;
    if (device.size() > 4) {
      if (device[4] != ':') throw Error(ErrorCode::InvalidArgument, "device must be 'cuda' or 'cuda:N', got '" + device + "'");
      try {
        index = std::stoi(device.substr(5));
      } catch (const std::exception&) {
        throw Error(ErrorCode::InvalidArgument, "device must be 'cuda' or 'cuda:N', got '" + device + "'");
      }
    }
    if (index < 0 || index >= static_cast<int>(torch::cuda::device_count())) {
      throw Error(ErrorCode::InvalidArgument, "device '" + device + "' does not exist: " +
                                                  std::to_string(torch::cuda::device_count()) + " CUDA device(s) found");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw Error(ErrorCode::InvalidArgument, "unknown device '" + device + "'; use 'cpu', 'cuda', 'cuda:N' or 'auto'");
}

class TorchBackend final : public Backend {
 public:
  TorchBackend(torch::jit::Module module, torch::Device device, int threads)
      : module_(std::move(module)), device_(device), threads_(threads) {}

  Outputs run(int n, int height, int width, const InputWriter& write) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (threads_ > 0 && at::get_num_threads() != threads_) at::set_num_threads(threads_);
    try {
      c10::InferenceMode guard;
      const bool cuda = device_.is_cuda();
      auto hostOptions = torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(cuda);
      torch::Tensor input = torch::empty({n, 3, height, width}, hostOptions);
      write(input.data_ptr<float>());
      if (cuda) input = input.to(device_, /*non_blocking=*/true);
      torch::jit::IValue result = module_.forward({input});
      torch::Tensor out = firstTensor(result).to(torch::kCPU, torch::kFloat32).contiguous();
      if (out.numel() % n != 0 || out.numel() == 0) {
        throw Error(ErrorCode::ModelMismatch, "model returned " + std::to_string(out.numel()) +
                                                  " values for a batch of " + std::to_string(n) +
                                                  "; a classifier must return one row of scores per image");
      }
      Outputs outputs;
      outputs.rows = n;
      outputs.cols = static_cast<int>(out.numel() / n);
      outputs.values.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
      return outputs;
    } catch (const c10::OutOfMemoryError& e) {
      throw Error(ErrorCode::OutOfMemory, "out of memory running a batch of " + std::to_string(n) + ": " +
                                              shortMessage(e) + "; use a smaller batch");
    } catch (const c10::Error& e) {
      throw Error(ErrorCode::Inference, "the model failed on a " + std::to_string(n) + "x3x" + std::to_string(height) +
                                            "x" + std::to_string(width) + " input (check the input size in the " +
                                            "model's metadata): " + shortMessage(e));
    }
  }

  std::string name() const override { return "torch"; }
  std::string device() const override { return device_.str(); }

 private:
  // A classifier may return a tensor, or a tuple/list/dict whose first entry is one.
  static torch::Tensor firstTensor(const torch::jit::IValue& value) {
    if (value.isTensor()) return value.toTensor();
    if (value.isTuple() && !value.toTupleRef().elements().empty()) return firstTensor(value.toTupleRef().elements()[0]);
    if (value.isList() && value.toListRef().size() > 0) return firstTensor(value.toListRef()[0]);
    if (value.isGenericDict() && value.toGenericDict().size() > 0) return firstTensor(value.toGenericDict().begin()->value());
    throw Error(ErrorCode::ModelMismatch, "the model's forward() returned " + value.tagKind() + ", not a tensor of scores");
  }

  torch::jit::Module module_;
  torch::Device device_;
  int threads_;
  std::mutex mutex_;
};

}  // namespace

bool torchCudaAvailable() { return torch::cuda::is_available(); }

std::string torchVersion() { return TORCH_VERSION; }

LoadedModel loadTorchModel(const std::string& path, const BackendOptions& options) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) throw Error(ErrorCode::ModelLoad, "model file not found: " + path);
  if (!S_ISREG(info.st_mode)) throw Error(ErrorCode::ModelLoad, "model path is not a file: " + path);
  if (info.st_size == 0) throw Error(ErrorCode::ModelLoad, "model file is empty: " + path);

  std::string device = options.device;
  if (device == "auto") device = torch::cuda::is_available() ? "cuda" : "cpu";
  const torch::Device target = parseDevice(device);
  if (options.threads > 0) at::set_num_threads(options.threads);

  torch::jit::ExtraFilesMap extra{{"metadata.json", ""}};
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, target, extra);
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::ModelLoad, "could not load " + path + " as a TorchScript model (" + shortMessage(e) +
                                          "); export it with torch.jit.script() or torch.jit.trace() and torch.jit.save()");
  }
  if (!module.find_method("forward")) {
    throw Error(ErrorCode::ModelLoad, "TorchScript file " + path + " has no forward() method");
  }
  module.eval();
  if (options.optimize) {
    try {
      module = torch::jit::optimize_for_inference(module);
    } catch (const c10::Error&) {
      // Some scripted models cannot be frozen; they still run unoptimised.
    }
  }
  LoadedModel loaded;
  loaded.backend = std::make_unique<TorchBackend>(std::move(module), target, options.threads);
  loaded.metadataJson = extra["metadata.json"];
  return loaded;
}

}  // namespace edge
