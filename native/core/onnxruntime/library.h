// ONNX Runtime, found at run time: libonnxruntime.so.1 is opened with dlopen
// the first time it is asked for, so that the addon builds and runs without it.
// Where it is looked for: EDGE_ONNXRUNTIME_LIB alone when it is set; else, in
// order (the first that opens and serves our C API version wins), the
// candidates the JS side names (the library inside the onnxruntime-node npm
// package), then the dynamic loader's search path. Its one entry point, OrtGetApiBase(), is a stable C ABI: the
// version check is GetApi(ORT_API_VERSION) of the headers the backend was
// compiled against (a newer runtime serves an older API version).
#pragma once

#include <string>
#include <vector>

namespace edge {

struct OnnxRuntimeLibrary {
  bool available = false;
  std::string error;    // why not, when !available: each place tried and what it held, and how to fix it
  std::string version;  // GetVersionString() of the library found, e.g. "1.30.0"; "" when none opened
  std::string library;  // the file opened; "" when none
  const void* api = nullptr;  // the OrtApi* of our API version (backend only)
};

// The C API version the backend was compiled against (ORT_API_VERSION); 0 without the backend.
int onnxRuntimeApiVersion();

// Where to look before the loader's path; only the first call before the library is opened counts.
void setOnnxRuntimeCandidates(std::vector<std::string> files);

// The process's ONNX Runtime, opened once (thread-safe).
const OnnxRuntimeLibrary& onnxRuntime();

// Opens ONNX Runtime from `files` (then EDGE_ONNXRUNTIME_LIB first and the loader's path last), needing
// C API version `apiVersion` (0: any), without caching the result (tests).
OnnxRuntimeLibrary openOnnxRuntime(const std::vector<std::string>& files, int apiVersion);

}  // namespace edge
