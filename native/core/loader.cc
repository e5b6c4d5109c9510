#include "loader.h"

#include "error.h"
#include "tensorrt/library.h"
#ifdef EDGE_WITH_TENSORRT
#include "tensorrt/trt_backend.h"
#endif

namespace edge {

namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isTensorRtFile(const std::string& path) {
  return endsWith(path, ".onnx") || endsWith(path, ".engine") || endsWith(path, ".plan");
}

}  // namespace

bool tensorRtBuilt() {
#ifdef EDGE_WITH_TENSORRT
  return true;
#else
  return false;
#endif
}

LoadedModel loadModel(const std::string& path, const BackendOptions& options) {
  const bool trtFile = isTensorRtFile(path);
  if (options.backend != "auto" && options.backend != "torch" && options.backend != "tensorrt") {
    throw Error(ErrorCode::InvalidArgument, "unknown backend '" + options.backend + "'; use 'auto', 'torch' or 'tensorrt'");
  }
  if (options.backend == "tensorrt" || (options.backend == "auto" && trtFile)) {
    const TensorRtLibrary& trt = tensorRt();
    const std::string rebuild =
        "rebuild edge-classify on a machine with CUDA and TensorRT's headers (EDGE_TENSORRT_INCLUDE=<include dir> "
        "npm run build:native)";
    if (!trt.available) {
      throw Error(ErrorCode::Unsupported,
                  trt.error + (tensorRtBuilt() ? "" : ". This build also lacks the TensorRT backend: " + rebuild));
    }
    if (!tensorRtBuilt()) {
      throw Error(ErrorCode::Unsupported, "TensorRT " + tensorRtVersionString(trt.version) +
                                              " is installed, but this build of edge-classify lacks the TensorRT backend: " +
                                              rebuild);
    }
#ifdef EDGE_WITH_TENSORRT
    if (!trtFile) {
      throw Error(ErrorCode::ModelLoad, path + " is not an ONNX model (.onnx) or a TensorRT engine (.engine/.plan); "
                                               "export it to ONNX (scripts/models/export_onnx.py) or use backend: 'torch'");
    }
    return loadTensorRtModel(path, options);
#endif
  }
  if (options.precision == Precision::INT8) {
    throw Error(ErrorCode::Unsupported, "precision 'int8' needs backend 'tensorrt' (TensorRT calibrates an int8 engine from an ONNX model)");
  }
  if (trtFile) {
    throw Error(ErrorCode::ModelLoad, path + " is an ONNX model or TensorRT engine: it runs on backend 'tensorrt' (TensorRT 10 on "
                                             "a CUDA GPU); libtorch loads TorchScript files");
  }
  return loadTorchModel(path, options);
}

}  // namespace edge
