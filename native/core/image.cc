#include "image.h"

#include <string>

#include "error.h"

namespace edge {

void validateImage(const ImageView& image, uint64_t maxPixels) {
  if (image.width <= 0 || image.height <= 0) {
    throw Error(ErrorCode::InvalidImage, "image has zero or negative size " + std::to_string(image.width) + "x" +
                                             std::to_string(image.height) + "; width and height must be at least 1");
  }
  const uint64_t pixels = static_cast<uint64_t>(image.width) * static_cast<uint64_t>(image.height);
  if (maxPixels > 0 && pixels > maxPixels) {
    throw Error(ErrorCode::InvalidImage, "image of " + std::to_string(pixels) + " pixels exceeds the limit of " +
                                             std::to_string(maxPixels) + "; raise limitInputPixels to accept it");
  }
  const uint64_t needed = pixels * static_cast<uint64_t>(image.channels());
  if (image.data == nullptr || image.byteLength < needed) {
    throw Error(ErrorCode::InvalidImage, "pixel buffer holds " + std::to_string(image.byteLength) + " bytes but " +
                                             std::to_string(image.width) + "x" + std::to_string(image.height) + "x" +
                                             std::to_string(image.channels()) + " needs " + std::to_string(needed));
  }
}

}  // namespace edge
