// TensorRT 10 or 11, found at run time: libnvinfer.so.<major> and
// libnvonnxparser.so.<major> are opened with dlopen the first time they are
// asked for, so that the addon builds and runs without TensorRT. Needs no
// TensorRT header: the entry points are the C functions behind
// nvinfer1::createInferBuilder() and friends, the same in 10.x and 11.x.
//
// A build's TensorRT backend is compiled against one major's headers
// (kTensorRtBuiltMajor): TensorRT's C++ interfaces differ between majors, so
// that build uses only that major's libraries; another supported major that is
// installed instead is named in the error, with how to rebuild for it. A build
// without the backend reports whichever supported TensorRT is installed.
#pragma once

#include <cstdint>
#include <string>

namespace edge {

// The TensorRT majors this source supports (its engine builder has a path for each).
constexpr int kTensorRtMajors[] = {10, 11};

// The major of the TensorRT headers the backend was compiled against; 0 without the backend.
int tensorRtBuiltMajor();

struct TensorRtLibrary {
  bool available = false;
  std::string error;    // why not, when !available: what was found or missing and how to fix it
  int32_t version = 0;  // getInferLibVersion() of the library found (e.g. 110100 for 11.1.0); 0 when none
  std::string library;  // the soname opened, e.g. "libnvinfer.so.11"; "" when none
  // void* create*(void* logger, int32_t version) / (void* network, void* logger, int32_t version)
  void* (*createBuilder)(void*, int32_t) = nullptr;
  void* (*createRuntime)(void*, int32_t) = nullptr;
  void* (*createOnnxParser)(void*, void*, int32_t) = nullptr;
};

// The process's TensorRT, opened once (thread-safe). Honours EDGE_TENSORRT_LIB_DIR (a folder
// holding the two libraries) before the dynamic loader's search path.
const TensorRtLibrary& tensorRt();

// Opens TensorRT as tensorRt() does, for a backend compiled against `builtMajor` (0: none), without
// caching the result (tests).
TensorRtLibrary openTensorRt(int builtMajor);

// "10.16.0" from a getInferLibVersion() value.
std::string tensorRtVersionString(int32_t version);

}  // namespace edge
