// TensorRT 10, found at run time: libnvinfer.so.10 and libnvonnxparser.so.10
// are opened with dlopen the first time they are asked for, so that the addon
// builds and runs without TensorRT. Needs no TensorRT header: the entry points
// are the C functions behind nvinfer1::createInferBuilder() and friends.
#pragma once

#include <cstdint>
#include <string>

namespace edge {

struct TensorRtLibrary {
  bool available = false;
  std::string error;  // why not, when !available: what was missing and how to install it
  int32_t version = 0;  // getInferLibVersion(), e.g. 101600 for 10.16.0
  // void* create*(void* logger, int32_t version) / (void* network, void* logger, int32_t version)
  void* (*createBuilder)(void*, int32_t) = nullptr;
  void* (*createRuntime)(void*, int32_t) = nullptr;
  void* (*createOnnxParser)(void*, void*, int32_t) = nullptr;
};

// The process's TensorRT, opened once (thread-safe). Honours EDGE_TENSORRT_LIB_DIR (a folder
// holding the two libraries) before the dynamic loader's search path.
const TensorRtLibrary& tensorRt();

// "10.16.0" from a getInferLibVersion() value.
std::string tensorRtVersionString(int32_t version);

}  // namespace edge
