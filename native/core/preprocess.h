// Fused preprocessing: source pixels -> resized, padded/cropped, normalized,
// channel-ordered float NCHW planes, in one pass per image.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "geometry.h"
#include "image.h"
#include "roboflow_steps.h"

namespace edge {

enum class ChannelOrder { RGB, BGR };

struct PreprocessSpec {
  int width = 224;   // model input width
  int height = 224;  // model input height
  ResizeMode mode = ResizeMode::Stretch;
  uint8_t pad = 0;                                  // letterbox fill value (0, 255 or 114)
  ChannelOrder order = ChannelOrder::RGB;           // channel order of the tensor planes
  std::array<float, 3> mean{{0.5f, 0.5f, 0.5f}};    // per tensor plane, applied after x/255
  std::array<float, 3> stdev{{0.5f, 0.5f, 0.5f}};   // per tensor plane
  LetterboxRounding rounding = LetterboxRounding::Exact;
  bool uint8Resize = false;  // interpolate as OpenCV's cv2.resize on 8-bit images (geometry.h FixedTap), else in float
  RoboflowSteps steps;                              // static crop, grayscale, contrast before the resize

  size_t planeSize() const { return static_cast<size_t>(width) * static_cast<size_t>(height); }
  size_t imageSize() const { return 3 * planeSize(); }
};

// Throws edge::Error(InvalidArgument) when the spec is unusable.
void validateSpec(const PreprocessSpec& spec);

// Writes spec.imageSize() floats (3 planes, CHW) for one image at `out`.
void preprocessImage(const ImageView& image, const PreprocessSpec& spec, float* out);

// Writes images.size() * spec.imageSize() floats (NCHW) at `out`, spreading
// the images over up to `threads` threads (0 = hardware concurrency).
void preprocessBatch(const std::vector<ImageView>& images, const PreprocessSpec& spec, float* out, int threads);

}  // namespace edge
