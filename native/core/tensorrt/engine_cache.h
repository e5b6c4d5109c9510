// The TensorRT engine cache, without TensorRT (the builder is a function): an
// engine built from an ONNX file is kept beside it under a name that holds
// everything it depends on, written atomically, checked when read, and built
// once when several threads or processes ask for it at the same time.
//
// - The key: the ONNX file's size, modification time and SHA-256, and the
//   build's settings (GPU, compute capability, TensorRT version, precision,
//   batch profile, input size, workspace). The hash is computed once per
//   version of the file and kept beside it (<model>.onnx.sha256, reused while
//   the file's size, mtime, ctime and inode are those it was computed for: an
//   ONNX replaced in place, even at the same size and mtime, gets a new ctime).
// - The file: a small header (magic, payload size, checksum of the payload)
//   then TensorRT's plan. A truncated or corrupt file is rebuilt, never used.
// - Writes (engines, calibration tables, the hash) go to a temporary file in
//   the same folder, are flushed and renamed over the old one: a reader sees
//   the old file or the new one, never half of one.
// - Builds are serialised by an advisory lock on <engine>.lock (flock): the
//   first process builds, the others wait and then read its engine. Where the
//   folder is read-only, the engine is built and not cached.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace edge {

// What an engine depends on besides the ONNX file.
struct EngineSettings {
  std::string gpu;        // the device's name, e.g. "NVIDIA H200"
  int computeMajor = 0, computeMinor = 0;
  int32_t tensorRtVersion = 0;
  std::string precision;  // "fp32", "fp16", "int8"
  int minBatch = 1, optBatch = 1, maxBatch = 1;
  int height = 0, width = 0;  // the profile's input size
  uint64_t workspaceBytes = 0;
};

// The ONNX file as the key sees it.
struct OnnxIdentity {
  uint64_t size = 0;
  int64_t mtimeNs = 0;
  std::string sha256;  // 64 hex digits
  bool hashed = false;  // true when the hash was computed now (not read from the sidecar)
};

// The file's identity: its SHA-256 from the sidecar when that still describes the file, else
// computed (and the sidecar rewritten, best effort). Throws Error(ModelLoad) when unreadable.
OnnxIdentity identifyOnnx(const std::string& onnx);

// The cache file for `onnx` built with `settings`:
// <onnx without .onnx>.<gpu>-sm<cc>-trt<version>-<precision>-b<max>-<16 hex digits of the key>.engine
std::string enginePath(const std::string& onnx, const OnnxIdentity& id, const EngineSettings& settings);

struct CachedEngine {
  std::vector<char> plan;
  bool built = false;     // true: built by this call; false: read from the cache
  bool cached = false;    // true: the plan is (now) in the cache file
  std::string path;       // the cache file
  std::string rejected;   // why an existing cache file was not used ("" when none was rejected)
};

// The plan from the cache file at `path`, or build() it, store it and return it. Several callers
// (threads or processes) asking at once: one builds, the others read its file.
CachedEngine loadOrBuildEngine(const std::string& path, const std::function<std::vector<char>()>& build);

// Marks a cached plan unusable (TensorRT could not deserialize it) and builds it again, as
// loadOrBuildEngine() would without the file.
CachedEngine rebuildEngine(const std::string& path, const std::function<std::vector<char>()>& build);

// The whole file at `path` into *out; false when it cannot be read.
bool readWhole(const std::string& path, std::vector<char>* out);

// Writes `bytes` to `path` atomically (temporary file in the same folder, flushed, renamed over it).
// false (and *error) when the folder cannot take it.
bool writeFileAtomically(const std::string& path, const void* bytes, size_t size, std::string* error);

// SHA-256 of a file's bytes as 64 hex digits, and of a buffer.
std::string sha256File(const std::string& path);
std::string sha256Hex(const void* data, size_t size);

// The framing of a cache file: header + plan, and back (false when truncated, too long or corrupt,
// *why says which).
std::vector<char> frameEngine(const std::vector<char>& plan);
bool unframeEngine(const std::vector<char>& file, std::vector<char>* plan, std::string* why);

}  // namespace edge
