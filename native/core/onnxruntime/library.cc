#include "library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#ifdef EDGE_WITH_ONNXRUNTIME
#include <onnxruntime_c_api.h>
#else
// OrtApiBase's layout, the C ABI every ONNX Runtime keeps (onnxruntime_c_api.h): enough to report
// which ONNX Runtime is installed where this build has no backend for it.
struct OrtApi;
struct OrtApiBase {
  const OrtApi*(* GetApi)(uint32_t version);
  const char*(* GetVersionString)();
};
#endif

namespace edge {

namespace {

const char* kHowTo =
    "Provide ONNX Runtime in one of three ways: `npm install onnxruntime-node --ignore-scripts` beside your app (its "
    "CPU library ships in the package), `pip install onnxruntime` and set EDGE_ONNXRUNTIME_LIB to its "
    "onnxruntime/capi/libonnxruntime.so.<version>, or set EDGE_ONNXRUNTIME_LIB to any libonnxruntime.so.1 "
    "(or put it on LD_LIBRARY_PATH); or use backend: 'torch' with a TorchScript model";

std::mutex candidatesMutex;
std::vector<std::string>& candidates() {
  static std::vector<std::string> files;
  return files;
}

}  // namespace

int onnxRuntimeApiVersion() {
#ifdef EDGE_WITH_ONNXRUNTIME
  return ORT_API_VERSION;
#else
  return 0;
#endif
}

void setOnnxRuntimeCandidates(std::vector<std::string> files) {
  std::lock_guard<std::mutex> lock(candidatesMutex);
  candidates() = std::move(files);
}

OnnxRuntimeLibrary openOnnxRuntime(const std::vector<std::string>& files, int apiVersion) {
  // EDGE_ONNXRUNTIME_LIB is a choice, not a hint: when it is set, nothing else is tried
  std::vector<std::string> tries;
  const char* env = std::getenv("EDGE_ONNXRUNTIME_LIB");
  if (env && *env) {
    tries.emplace_back(env);
  } else {
    tries.insert(tries.end(), files.begin(), files.end());
    tries.emplace_back("libonnxruntime.so.1");
  }
  OnnxRuntimeLibrary lib;
  std::string why;
  for (const std::string& file : tries) {
    // The handle stays open for the life of the process: sessions and the environment point into it.
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* e = dlerror();
      why += "\n  " + file + ": " + (e ? e : "cannot be opened");
      continue;
    }
    using GetApiBase = const OrtApiBase* (*)();
    const auto getBase = reinterpret_cast<GetApiBase>(dlsym(handle, "OrtGetApiBase"));
    const OrtApiBase* base = getBase ? getBase() : nullptr;
    if (!base) {
      why += "\n  " + file + ": has no OrtGetApiBase (not ONNX Runtime?)";
      dlclose(handle);
      continue;
    }
    const char* version = base->GetVersionString ? base->GetVersionString() : nullptr;
    const std::string v = version ? version : "unknown";
    const void* api = apiVersion > 0 ? static_cast<const void*>(base->GetApi(static_cast<uint32_t>(apiVersion))) : nullptr;
    if (apiVersion > 0 && !api) {
      why += "\n  " + file + ": ONNX Runtime " + v + " is too old: this build needs C API version " + std::to_string(apiVersion) +
             " (ONNX Runtime 1." + std::to_string(apiVersion) + " or later)";
      // kept open: a library that answered may be in use elsewhere in the process; it is never used here
      continue;
    }
    lib.version = v;
    lib.library = file;
    lib.api = api;
    lib.available = true;
    return lib;
  }
  lib.error = "ONNX Runtime was not found or not usable; tried:" + why + "\n" + kHowTo;
  return lib;
}

const OnnxRuntimeLibrary& onnxRuntime() {
  static const OnnxRuntimeLibrary lib = [] {
    std::vector<std::string> files;
    {
      std::lock_guard<std::mutex> lock(candidatesMutex);
      files = candidates();
    }
    return openOnnxRuntime(files, onnxRuntimeApiVersion());
  }();
  return lib;
}

}  // namespace edge
