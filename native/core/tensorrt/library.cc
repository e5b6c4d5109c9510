#include "library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <vector>

#ifdef EDGE_WITH_TENSORRT
#include <NvInferVersion.h>
#endif

namespace edge {

int tensorRtBuiltMajor() {
#ifdef EDGE_WITH_TENSORRT
  static_assert(NV_TENSORRT_MAJOR == 10 || NV_TENSORRT_MAJOR == 11, "the TensorRT backend supports TensorRT 10 and 11");
  return NV_TENSORRT_MAJOR;
#else
  return 0;
#endif
}

namespace {

// The supported majors joined by `separator`: "10 or 11", "10, 11".
std::string supported(const char* separator) {
  std::string out;
  for (int m : kTensorRtMajors) out += (out.empty() ? "" : separator) + std::to_string(m);
  return out;
}

// The TensorRT a build looks for: its backend's major, or any supported one without a backend.
std::string wanted(int builtMajor) { return builtMajor ? std::to_string(builtMajor) : supported(" or "); }

std::string install(int major) {
  return "Install TensorRT " + wanted(major) + " for your CUDA version (NVIDIA's tar or deb packages, or `pip install "
         "tensorrt-cu12` / `tensorrt-cu13` and point EDGE_TENSORRT_LIB_DIR at its tensorrt_libs folder), "
         "or set LD_LIBRARY_PATH / EDGE_TENSORRT_LIB_DIR to the folder holding libnvinfer.so." +
         (major ? std::to_string(major) : std::string("<major>")) + "; or use backend: 'torch'";
}

// dlopen of `name` in EDGE_TENSORRT_LIB_DIR, then on the loader's path; nullptr and *why when neither has it.
void* open(const std::string& name, std::string* why) {
  std::string where;
  if (const char* dir = std::getenv("EDGE_TENSORRT_LIB_DIR")) {
    const std::string full = std::string(dir) + "/" + name;
    if (void* handle = dlopen(full.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
    where = std::string(" (also tried EDGE_TENSORRT_LIB_DIR=") + dir + ")";
  }
  if (void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
  const char* error = dlerror();
  *why = (error ? std::string(error) : name) + where;
  return nullptr;
}

template <typename Fn>
bool symbol(void* handle, const char* name, Fn* out, const std::string& library, std::string& error, int major) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
  if (*out) return true;
  error = library + " lacks " + name + " (not TensorRT?). " + install(major);
  return false;
}

}  // namespace

TensorRtLibrary openTensorRt(int builtMajor) {
  TensorRtLibrary lib;
  // The majors to look for: the backend's own first; every supported one when there is no backend.
  std::vector<int> majors;
  if (builtMajor) majors.push_back(builtMajor);
  for (int m : kTensorRtMajors) {
    if (m != builtMajor) majors.push_back(m);
  }
  std::string firstWhy;
  for (int major : majors) {
    const std::string name = "libnvinfer.so." + std::to_string(major);
    std::string why;
    // The handles stay open for the life of the process: engines and runtimes point into them.
    void* nvinfer = open(name, &why);
    if (!nvinfer) {
      if (firstWhy.empty()) firstWhy = why;
      continue;
    }
    if (builtMajor && major != builtMajor) {
      lib.library = name;
      lib.error = "TensorRT " + std::to_string(builtMajor) + " was not found (" + firstWhy + "), but " + name +
                  " was: this build's TensorRT backend was compiled against TensorRT " + std::to_string(builtMajor) +
                  "'s headers, whose C++ interfaces differ from TensorRT " + std::to_string(major) +
                  "'s. Rebuild edge-classify with EDGE_TENSORRT_INCLUDE set to TensorRT " + std::to_string(major) +
                  "'s include folder, or " + install(builtMajor);
      int32_t (*version)() = nullptr;
      std::string ignored;
      if (symbol(nvinfer, "getInferLibVersion", &version, name, ignored, builtMajor)) lib.version = version();
      return lib;
    }
    lib.library = name;
    const std::string parserName = "libnvonnxparser.so." + std::to_string(major);
    void* parser = open(parserName, &why);
    if (!parser) {
      lib.error = name + " was found but its ONNX parser was not: " + why + ". " + install(major);
      return lib;
    }
    int32_t (*version)() = nullptr;
    if (!symbol(nvinfer, "getInferLibVersion", &version, name, lib.error, major) ||
        !symbol(nvinfer, "createInferBuilder_INTERNAL", &lib.createBuilder, name, lib.error, major) ||
        !symbol(nvinfer, "createInferRuntime_INTERNAL", &lib.createRuntime, name, lib.error, major) ||
        !symbol(parser, "createNvOnnxParser_INTERNAL", &lib.createOnnxParser, parserName, lib.error, major)) {
      return lib;
    }
    lib.version = version();
    if (lib.version / 10000 != major) {
      lib.error = "TensorRT " + tensorRtVersionString(lib.version) + " was found as " + name + ", but this build needs TensorRT " +
                  wanted(builtMajor) + ". " + install(builtMajor);
      return lib;
    }
    lib.available = true;
    return lib;
  }
  // none of the supported majors: say so, and name a newer one where it is what is installed
  std::string why;
  if (void* newer = open("libnvinfer.so.12", &why)) {
    dlclose(newer);
    lib.error = "TensorRT " + wanted(builtMajor) +
                " was not found, but libnvinfer.so.12 was: a TensorRT newer than this build supports (" + supported(", ") + "). " + install(builtMajor);
    return lib;
  }
  std::string names;
  for (int major : majors) names += (names.empty() ? "" : ", ") + std::string("libnvinfer.so.") + std::to_string(major);
  lib.error = "TensorRT " + wanted(builtMajor) + " was not found (looked for " + names +
              "): " + firstWhy + ". " + install(builtMajor);
  return lib;
}

const TensorRtLibrary& tensorRt() {
  static const TensorRtLibrary lib = openTensorRt(tensorRtBuiltMajor());
  return lib;
}

std::string tensorRtVersionString(int32_t version) {
  return std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) + "." + std::to_string(version % 100);
}

}  // namespace edge
