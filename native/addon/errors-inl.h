#pragma once

#include <new>
#include <stdexcept>

#include "../core/error.h"

namespace edge_addon {

template <typename Body>
bool captureErrors(Body&& body, std::string& code, std::string& message) {
  try {
    body();
    return true;
  } catch (const edge::Error& e) {
    code = edge::codeName(e.code());
    message = e.what();
  } catch (const std::bad_alloc&) {
    code = edge::codeName(edge::ErrorCode::OutOfMemory);
    message = "out of host memory; use smaller images or batches";
  } catch (const std::exception& e) {
    code = edge::codeName(edge::ErrorCode::Internal);
    message = e.what();
  } catch (...) {
    code = edge::codeName(edge::ErrorCode::Internal);
    message = "unknown native exception";
  }
  return false;
}

}  // namespace edge_addon
