#include "library.h"

#include <dlfcn.h>

#include <cstdlib>

namespace edge {

namespace {

const char* kInstall =
    "Install TensorRT 10 for your CUDA version (NVIDIA's tar or deb packages, or `pip install "
    "tensorrt-cu12` / `tensorrt-cu13` and point EDGE_TENSORRT_LIB_DIR at its tensorrt_libs folder), "
    "or set LD_LIBRARY_PATH / EDGE_TENSORRT_LIB_DIR to the folder holding libnvinfer.so.10; "
    "or use backend: 'torch'";

void* open(const char* name, std::string& error) {
  std::string where;
  if (const char* dir = std::getenv("EDGE_TENSORRT_LIB_DIR")) {
    const std::string full = std::string(dir) + "/" + name;
    if (void* handle = dlopen(full.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
    where = std::string(" (also tried EDGE_TENSORRT_LIB_DIR=") + dir + ")";
  }
  if (void* handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return handle;
  const char* why = dlerror();
  error = std::string("TensorRT 10 was not found: ") + (why ? why : name) + where + ". " + kInstall;
  return nullptr;
}

template <typename Fn>
bool symbol(void* handle, const char* name, Fn* out, std::string& error) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
  if (*out) return true;
  error = std::string("the TensorRT library found lacks ") + name + " (not TensorRT 10?). " + kInstall;
  return false;
}

// Without libnvinfer.so.10: names a newer TensorRT that is installed instead, or "".
std::string newerTensorRt() {
  for (const char* name : {"libnvinfer.so.11", "libnvinfer.so.12"}) {
    std::string ignored;
    if (void* handle = open(name, ignored)) {
      dlclose(handle);
      return name;
    }
  }
  return "";
}

TensorRtLibrary openTensorRt() {
  TensorRtLibrary lib;
  // The handles stay open for the life of the process: engines and runtimes point into them.
  void* nvinfer = open("libnvinfer.so.10", lib.error);
  if (!nvinfer) {
    const std::string newer = newerTensorRt();
    if (!newer.empty()) {
      lib.error = "TensorRT 10 was not found, but " + newer +
                  " was: TensorRT 11 and later dropped the weakly typed builder API (BuilderFlag::kFP16/kINT8, "
                  "int8 calibrators) that this build's engine builder uses. " + kInstall;
    }
    return lib;
  }
  void* parser = open("libnvonnxparser.so.10", lib.error);
  if (!parser) return lib;
  int32_t (*version)() = nullptr;
  if (!symbol(nvinfer, "getInferLibVersion", &version, lib.error) ||
      !symbol(nvinfer, "createInferBuilder_INTERNAL", &lib.createBuilder, lib.error) ||
      !symbol(nvinfer, "createInferRuntime_INTERNAL", &lib.createRuntime, lib.error) ||
      !symbol(parser, "createNvOnnxParser_INTERNAL", &lib.createOnnxParser, lib.error)) {
    return lib;
  }
  lib.version = version();
  if (lib.version / 10000 != 10) {
    lib.error = "TensorRT " + tensorRtVersionString(lib.version) + " was found, but this build needs TensorRT 10. " + kInstall;
    return lib;
  }
  lib.available = true;
  return lib;
}

}  // namespace

const TensorRtLibrary& tensorRt() {
  static const TensorRtLibrary lib = openTensorRt();
  return lib;
}

std::string tensorRtVersionString(int32_t version) {
  return std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) + "." + std::to_string(version % 100);
}

}  // namespace edge
