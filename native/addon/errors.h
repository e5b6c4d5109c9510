// The one place where native failures become JS errors: every error that
// reaches JS carries a `code` from edge::codeName() so that the TypeScript
// layer can map it to a typed error class.
#pragma once

#include <napi.h>

#include <string>

namespace edge_addon {

Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message);

// Throws a JS error with `code` (C++ exceptions are enabled for node-addon-api).
[[noreturn]] void throwError(Napi::Env env, const std::string& code, const std::string& message);

// Runs `body` and turns any C++ exception into {code, message}. Returns true
// when body completed. Used on worker threads, where no JS value may be made.
template <typename Body>
bool captureErrors(Body&& body, std::string& code, std::string& message);

}  // namespace edge_addon

#include "errors-inl.h"
