// Helpers shared by the libtorch backends (CPU and CUDA).
#pragma once

#include <torch/script.h>

#include <string>

#include "backend.h"
#include "error.h"

namespace edge {

// c10 messages carry a C++ backtrace after the first lines: keep the useful part.
inline std::string shortMessage(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  const size_t cut = m.find("\nException raised from");
  if (cut != std::string::npos) m.resize(cut);
  return m;
}

// A classifier may return a tensor, or a tuple/list/dict whose first entry is one.
inline torch::Tensor firstTensor(const torch::jit::IValue& value) {
  if (value.isTensor()) return value.toTensor();
  if (value.isTuple() && !value.toTupleRef().elements().empty()) return firstTensor(value.toTupleRef().elements()[0]);
  if (value.isList() && value.toListRef().size() > 0) return firstTensor(value.toListRef()[0]);
  if (value.isGenericDict() && value.toGenericDict().size() > 0) return firstTensor(value.toGenericDict().begin()->value());
  throw Error(ErrorCode::ModelMismatch, "the model's forward() returned " + value.tagKind() + ", not a tensor of scores");
}

// Copies the scores of a batch of n to the host as one row per image.
inline Outputs toOutputs(const torch::Tensor& result, int n) {
  torch::Tensor out = result.to(torch::kCPU, torch::kFloat32).contiguous();
  if (out.numel() % n != 0 || out.numel() == 0) {
    throw Error(ErrorCode::ModelMismatch, "model returned " + std::to_string(out.numel()) + " values for a batch of " +
                                              std::to_string(n) + "; a classifier must return one row of scores per image");
  }
  Outputs outputs;
  outputs.rows = n;
  outputs.cols = static_cast<int>(out.numel() / n);
  outputs.values.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
  return outputs;
}

inline Error inferenceError(const c10::Error& e, int n, int height, int width) {
  return Error(ErrorCode::Inference, "the model failed on a " + std::to_string(n) + "x3x" + std::to_string(height) + "x" +
                                         std::to_string(width) + " input (check the input size in the model's metadata): " +
                                         shortMessage(e));
}

inline Error outOfMemory(const c10::Error& e, int n) {
  return Error(ErrorCode::OutOfMemory,
               "out of memory running a batch of " + std::to_string(n) + ": " + shortMessage(e) + "; use a smaller batch");
}

}  // namespace edge
