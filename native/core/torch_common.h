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

// libtorch reports allocation failures as c10::OutOfMemoryError, but the
// TorchScript interpreter re-raises them as plain errors: both are recognised.
inline bool isOutOfMemory(const std::exception& e) {
  return dynamic_cast<const c10::OutOfMemoryError*>(&e) != nullptr ||
         std::string(e.what()).find("out of memory") != std::string::npos;
}

// A failure of a forward pass as a typed error: OutOfMemory or Inference.
inline Error forwardError(const std::exception& e, int n, int height, int width) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string message = c10 ? shortMessage(*c10) : std::string(e.what());
  if (isOutOfMemory(e)) {
    const size_t line = message.find("out of memory");
    const size_t start = message.rfind('\n', line);
    message = message.substr(start == std::string::npos ? 0 : start + 1, message.find('\n', line) - (start + 1));
    return Error(ErrorCode::OutOfMemory,
                 "out of memory running a batch of " + std::to_string(n) + " (" + message + "); use a smaller batch");
  }
  return Error(ErrorCode::Inference, "the model failed on a " + std::to_string(n) + "x3x" + std::to_string(height) + "x" +
                                         std::to_string(width) + " input (check the input size in the model's metadata): " +
                                         message);
}

}  // namespace edge
