// A borrowed view of interleaved 8-bit pixels. The core never owns or copies
// the pixels it is given: the caller keeps them alive while work runs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edge {

// Memory layout of the source pixels. The channel count follows from it.
enum class PixelFormat { Gray, RGB, BGR, RGBA, BGRA };

inline int channelsOf(PixelFormat f) {
  switch (f) {
    case PixelFormat::Gray: return 1;
    case PixelFormat::RGB:
    case PixelFormat::BGR: return 3;
    case PixelFormat::RGBA:
    case PixelFormat::BGRA: return 4;
  }
  return 0;
}

struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::RGB;
  size_t byteLength = 0;  // bytes available at `data` (checked against width*height*channels)
  uint8_t disabled = 0;   // Roboflow steps this image's request switched off (roboflow_steps.h kDisable*)

  int channels() const { return channelsOf(format); }
  // Bytes of pixels the view covers: width * height * channels.
  size_t byteSize() const { return static_cast<size_t>(width) * static_cast<size_t>(height) * channels(); }
};

// Borrowed encoded image bytes (e.g. a JPEG for the GPU decoder).
struct EncodedView {
  const uint8_t* data = nullptr;
  size_t length = 0;
};

// Throws edge::Error(InvalidImage) with an actionable message when the view
// cannot be read safely (null data, zero or negative size, short buffer, or
// more than maxPixels pixels when maxPixels > 0).
void validateImage(const ImageView& image, uint64_t maxPixels);

}  // namespace edge
