// Typed errors of the core. The addon layer turns them into JS errors whose
// `code` property is the string returned by codeName(); the TypeScript layer
// maps each code to an error class.
#pragma once

#include <stdexcept>
#include <string>

namespace edge {

enum class ErrorCode {
  InvalidArgument,   // a caller-supplied value is out of range or malformed
  InvalidImage,      // pixel data that cannot be used (size, channels, length)
  Decode,            // encoded bytes that cannot be decoded
  ModelLoad,         // model file missing, unreadable or not a model
  ModelMismatch,     // model and metadata disagree (input or output shape)
  Inference,         // the backend failed while running the model
  OutOfMemory,       // host or device allocation failed
  Unsupported,       // a feature this build or backend does not have
  Disposed,          // the model was disposed
  QueueFull,         // the model's request queue is at its bound (backpressure)
  Aborted,           // the caller cancelled the request before it ran
  Internal,          // anything unexpected
};

inline const char* codeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "ERR_INVALID_ARGUMENT";
    case ErrorCode::InvalidImage: return "ERR_INVALID_IMAGE";
    case ErrorCode::Decode: return "ERR_DECODE";
    case ErrorCode::ModelLoad: return "ERR_MODEL_LOAD";
    case ErrorCode::ModelMismatch: return "ERR_MODEL_MISMATCH";
    case ErrorCode::Inference: return "ERR_INFERENCE";
    case ErrorCode::OutOfMemory: return "ERR_OUT_OF_MEMORY";
    case ErrorCode::Unsupported: return "ERR_UNSUPPORTED";
    case ErrorCode::Disposed: return "ERR_DISPOSED";
    case ErrorCode::QueueFull: return "ERR_QUEUE_FULL";
    case ErrorCode::Aborted: return "ERR_ABORTED";
    case ErrorCode::Internal: return "ERR_INTERNAL";
  }
  return "ERR_INTERNAL";
}

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace edge
