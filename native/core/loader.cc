#include "loader.h"

#include <cstdio>

#include "error.h"
#include "onnxruntime/library.h"
#include "tensorrt/library.h"
#ifdef EDGE_WITH_ONNXRUNTIME
#include "onnxruntime/ort_backend.h"
#endif
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

bool onnxRuntimeBuilt() {
#ifdef EDGE_WITH_ONNXRUNTIME
  return true;
#else
  return false;
#endif
}

std::string onnxRuntimeUnavailable() {
  const std::string rebuild =
      "rebuild edge-classify with ONNX Runtime's headers (bash scripts/onnxruntime-headers.sh && npm run build:native)";
  const OnnxRuntimeLibrary& ort = onnxRuntime();
  if (!ort.available) return ort.error + (onnxRuntimeBuilt() ? "" : ". This build also lacks the onnxruntime backend: " + rebuild);
  if (!onnxRuntimeBuilt()) {
    return "ONNX Runtime " + ort.version + " is installed (" + ort.library + "), but this build of edge-classify lacks the onnxruntime backend: " +
           rebuild;
  }
  return "";
}

namespace {

LoadedModel loadWithOnnxRuntime(const std::string& path, const BackendOptions& options) {
  if (!endsWith(path, ".onnx")) {
    throw Error(ErrorCode::ModelLoad, path + " is not an ONNX model (.onnx): backend 'onnxruntime' runs ONNX files; "
                                             "TorchScript runs on backend 'torch'");
  }
  const std::string unavailable = onnxRuntimeUnavailable();
  if (!unavailable.empty()) throw Error(ErrorCode::Unsupported, unavailable);
#ifdef EDGE_WITH_ONNXRUNTIME
  return loadOnnxRuntimeModel(path, options);
#else
  (void)options;
  return {};
#endif
}

// backend 'auto' for an ONNX file, in fp32 (fp16 and int8 are TensorRT's): TensorRT where it is ready
// and a GPU is asked for or found; else ONNX Runtime where it is ready — with its CUDA execution provider
// where a GPU is asked for (or, on 'auto', found by libtorch) and the library has one, on the CPU where
// none is asked for —; else TensorRT's own error (a CUDA device without either, engine files).
// *device: the device ONNX Runtime is to use.
bool autoPicksOnnxRuntime(const std::string& path, const BackendOptions& options, std::string* device) {
  if (!endsWith(path, ".onnx") || options.precision != Precision::FP32 || !onnxRuntimeBuilt() || !onnxRuntime().available) return false;
  const bool trtReady = tensorRtBuilt() && tensorRt().available;
  if (options.device == "cpu") {
    *device = "cpu";
    return true;
  }
  if (trtReady) return false;
#ifdef EDGE_WITH_ONNXRUNTIME
  const bool cudaAsked = options.device != "auto";
  if (onnxRuntimeHasCuda() && (cudaAsked || torchCudaAvailable())) {
    *device = cudaAsked ? options.device : "cuda:0";
    return true;
  }
  if (cudaAsked) return false;
#endif
  *device = "cpu";
  return true;
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
  if (options.backend != "auto" && options.backend != "torch" && options.backend != "tensorrt" && options.backend != "onnxruntime") {
    throw Error(ErrorCode::InvalidArgument, "unknown backend '" + options.backend + "'; use 'auto', 'torch', 'onnxruntime' or 'tensorrt'");
  }
  if (options.backend == "onnxruntime") return loadWithOnnxRuntime(path, options);
  std::string ortDevice;
  if (options.backend == "auto" && autoPicksOnnxRuntime(path, options, &ortDevice)) {
    BackendOptions onOrt = options;
    onOrt.device = ortDevice;
    try {
      return loadWithOnnxRuntime(path, onOrt);
    } catch (const Error& e) {
      // on CUDA: the CPU where the device was 'auto', else one error naming both backends' reasons
      if (e.code() != ErrorCode::Unsupported || ortDevice == "cpu") throw;
      if (options.device == "auto") {
        // device 'auto': the CPU, where the GPU libtorch found cannot be had through ONNX Runtime
        std::fprintf(stderr, "edge-classify: %s; running %s on the CPU\n", e.what(), path.c_str());
        onOrt.device = "cpu";
        return loadWithOnnxRuntime(path, onOrt);
      }
      const TensorRtLibrary& trt = tensorRt();
      throw Error(ErrorCode::Unsupported, "an ONNX model on " + ortDevice + " runs on TensorRT or on ONNX Runtime's CUDA execution provider, and neither is usable here. TensorRT: " +
                                              (trt.available ? std::string("this build lacks the TensorRT backend") : trt.error) +
                                              ". ONNX Runtime: " + e.what() + ". Or use device 'cpu'");
    }
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
    throw Error(ErrorCode::ModelLoad, path + " is an ONNX model or TensorRT engine: it runs on backend 'onnxruntime' (the CPU) or "
                                             "'tensorrt' (TensorRT on a CUDA GPU); libtorch loads TorchScript files");
  }
  return loadTorchModel(path, options);
}

}  // namespace edge
