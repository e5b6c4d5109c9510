#include "torch_backend.h"

#include "cpu_allocator.h"

#include <torch/script.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <ATen/Parallel.h>

#include <fstream>
#include <optional>
#include <sys/stat.h>

#include "error.h"
#include "stopwatch.h"
#include "team_governor.h"
#include "torch_common.h"
#ifdef EDGE_WITH_CUDA
#include "cuda/torch_cuda_backend.h"
#endif

namespace edge {

namespace {

torch::Device parseDevice(const std::string& device) {
  if (device == "cpu") return torch::Device(torch::kCPU);
  if (device.rfind("cuda", 0) == 0) {
#ifndef EDGE_WITH_CUDA
    throw Error(ErrorCode::Unsupported, "device '" + device + "' requested but edge-classify was built without CUDA; " +
                                            "rebuild with a CUDA libtorch and nvcc (see the README), or use device: 'cpu'");
#endif
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

// CPU inference, one lane (the process's torch thread runs every call, see executor.h).
// Preprocessing writes straight into the input tensor's memory.
class TorchBackend final : public Backend {
 public:
  TorchBackend(torch::jit::Module module, torch::Device device, int threads)
      : module_(std::move(module)), device_(device), threads_(threads) {}
  // the weights go, then the blocks the cache kept for this model's batches (their sizes may not come again)
  ~TorchBackend() override {
    module_ = torch::jit::Module();
    trimCpuCache();
  }

  Outputs run(int, int n, int height, int width, const InputWriter& write) override {
    std::optional<TeamGovernor::Batch> team;
    useThreads(team);
    try {
      c10::InferenceMode guard;
      torch::Tensor input = torch::empty({n, 3, height, width}, torch::kFloat32);
      const Stopwatch prepare;
      write(input.data_ptr<float>());
      const double prepareMs = prepare.ms();
      Outputs outputs = toOutputs(firstTensor(module_.forward({input})), n);
      outputs.prepareMs = prepareMs;
      return outputs;
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw forwardError(e, n, height, width);
    }
  }

  Outputs runTokens(int, const int32_t* tokens, int n, int length) override {
    std::optional<TeamGovernor::Batch> team;
    useThreads(team);
    try {
      c10::InferenceMode guard;
      torch::Tensor ids = torch::from_blob(const_cast<int32_t*>(tokens), {n, length}, torch::kInt32).to(torch::kInt64);
      return toOutputs(firstTensor(module_.forward({ids})), n);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw forwardError(e, n, 1, length);
    }
  }

  std::string name() const override { return "torch"; }
  std::string device() const override { return device_.str(); }

 private:
  // The intra-op team of the torch thread for one batch: this model's `threads` option, else as
  // many of the thread policy's threads as other work leaves cores free, measured over `batch`
  // (team_governor.h).
  // (The thread count is per thread in OpenMP: each lane of the torch thread sets its own.)
  void useThreads(std::optional<TeamGovernor::Batch>& batch) const {
    TeamGovernor& governor = teamGovernor();
    int want = threads_;
    if (want <= 0) {
      want = batch.emplace(governor).size();
      if (at::get_num_threads() != want) at::set_num_threads(want);
      // the team's threads make their run-queue delay known: one item per thread
      if (governor.needsJoin(want)) {
        at::parallel_for(0, want, 1, [&governor](int64_t, int64_t) { governor.joinTeam(); });
        governor.markJoined(want);
      }
      return;
    }
    batch.emplace(governor, false);  // a fixed team: only the lane decision
    if (at::get_num_threads() != want) at::set_num_threads(want);
  }

  torch::jit::Module module_;
  torch::Device device_;
  int threads_;
};

}  // namespace

bool cudaBuilt() {
#ifdef EDGE_WITH_CUDA
  return true;
#else
  return false;
#endif
}

bool nvjpegBuilt() {
#ifdef EDGE_WITH_NVJPEG
  return true;
#else
  return false;
#endif
}

bool torchCudaAvailable() { return torch::cuda::is_available(); }

std::string torchVersion() { return TORCH_VERSION; }

LoadedModel loadTorchModel(const std::string& path, const BackendOptions& options) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) throw Error(ErrorCode::ModelLoad, "model file not found: " + path);
  if (!S_ISREG(info.st_mode)) throw Error(ErrorCode::ModelLoad, "model path is not a file: " + path);
  if (info.st_size == 0) throw Error(ErrorCode::ModelLoad, "model file is empty: " + path);

  std::string device = options.device;
  if (device == "auto") device = cudaBuilt() && torch::cuda::is_available() ? "cuda" : "cpu";
  const torch::Device target = parseDevice(device);
  installCpuCache();
  at::set_num_threads(options.threads > 0 ? options.threads : teamGovernor().size());

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
#ifdef EDGE_WITH_CUDA
  if (target.is_cuda()) {
    LoadedModel loaded;
    loaded.backend = makeTorchCudaBackend(std::move(module), target, options);
    loaded.metadataJson = extra["metadata.json"];
    return loaded;
  }
#endif
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
