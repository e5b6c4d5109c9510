// Roboflow's image preprocessing steps (static crop, grayscale, contrast), applied before the resize:
// planned once per image (the crop window, and for contrast one histogram pass giving a 256-entry
// lookup table), then read per source pixel by the CPU preprocessor and the CUDA kernel, so that the
// steps cost no extra copy of the image. Facts: ../../README.md, "Roboflow package support".
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "geometry.h"
#include "image.h"

namespace edge {

enum class Contrast {
  None,
  Stretching,       // rescale between the 2nd and 98th percentile of all values (scikit-image rescale_intensity)
  EqualizeSkimage,  // scikit-image equalize_hist over all values, x255, truncated (Roboflow's default path)
  EqualizeOpenCv,   // to gray, then OpenCV equalizeHist (Roboflow's legacy path)
  AdaptiveSkimage,  // scikit-image equalize_adapthist(x/255, clip_limit=0.03) on the HSV value, x255, truncated (default path)
  AdaptiveOpenCv,   // to gray, then OpenCV CLAHE (clip limit 0.03, 8x8 tiles) (legacy path)
};

// Which steps a model's package asks for, in its server's order.
struct RoboflowSteps {
  bool crop = false;
  double xMin = 0, yMin = 0, xMax = 100, yMax = 100;  // percent of width / height, truncated to pixels
  bool grayscale = false;
  Contrast contrast = Contrast::None;
  bool contrastFirst = false;  // legacy order: crop -> contrast -> grayscale (default: crop -> grayscale -> contrast)

  bool any() const { return crop || grayscale || contrast != Contrast::None; }
};

// Bits of ImageView::disabled: steps a request switched off (Roboflow's disable_preproc_* flags).
constexpr uint8_t kDisableStaticCrop = 1, kDisableGrayscale = 2, kDisableContrast = 4;

// One image's plan: the window read, and how each source pixel is mapped before interpolation.
struct ImageSteps {
  int x0 = 0, y0 = 0, width = 0, height = 0;  // the crop window (the whole image without a crop)
  bool grayFirst = false;                     // to gray before the lookup table
  bool useLut = false;
  bool grayAfter = false;  // to gray after the lookup table (legacy order)
  std::array<uint8_t, 256> lut{};
  // The adaptive equalizations depend on each pixel's place, not only its value: their result, the
  // window after the steps, is computed here (one copy of the window) and read instead of the source.
  std::vector<uint8_t> buffer;
  PixelFormat bufferFormat = PixelFormat::Gray;

  bool identity() const { return !grayFirst && !useLut && !grayAfter; }
  bool buffered() const { return !buffer.empty(); }
  // The view the resize reads: the buffer when there is one (its steps all applied), else the source.
  ImageView source(const ImageView& image) const;
};

// OpenCV's BGR2GRAY / RGB2GRAY for 8 bits: fixed point with 15 fractional bits (its RY15, GY15, BY15;
// equal to cv2.cvtColor on every colour of a 200,000-colour random sample).
EDGE_HD inline uint8_t grayOf(int r, int g, int b) {
  return static_cast<uint8_t>((r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15);
}

// One source pixel (its R, G, B bytes) through the steps.
EDGE_HD inline void stepPixel(int& r, int& g, int& b, bool grayFirst, const uint8_t* lut, bool grayAfter) {
  if (grayFirst) r = g = b = grayOf(r, g, b);
  if (lut) {
    r = lut[r];
    g = lut[g];
    b = lut[b];
  }
  if (grayAfter) r = g = b = grayOf(r, g, b);
}

// Offsets of the R, G, B bytes inside one source pixel.
std::array<int, 3> rgbOffsets(PixelFormat format);

// Throws Error(InvalidImage) when the crop leaves no pixel of the image.
ImageSteps planSteps(const ImageView& image, const RoboflowSteps& steps);

// Throws Error(InvalidArgument) for bounds outside 0..100 or an empty window.
void validateSteps(const RoboflowSteps& steps);

}  // namespace edge
