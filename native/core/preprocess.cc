#include "preprocess.h"

#include <algorithm>
#include <string>

#include "error.h"
#include "parallel.h"

namespace edge {

namespace {

// Offsets of the R, G, B bytes inside one source pixel.
std::array<int, 3> rgbOffsets(PixelFormat format) {
  switch (format) {
    case PixelFormat::Gray: return {{0, 0, 0}};
    case PixelFormat::RGB:
    case PixelFormat::RGBA: return {{0, 1, 2}};
    case PixelFormat::BGR:
    case PixelFormat::BGRA: return {{2, 1, 0}};
  }
  return {{0, 1, 2}};
}

// Horizontal taps of one destination column inside the scaled box.
struct ColumnTap {
  size_t left;   // byte offset of the left source pixel in a row
  size_t right;  // byte offset of its right neighbour (== left at the edge)
  float weight;  // weight of the right neighbour
};

}  // namespace

void validateSpec(const PreprocessSpec& spec) {
  if (spec.width < 1 || spec.height < 1 || spec.width > 16384 || spec.height > 16384) {
    throw Error(ErrorCode::InvalidArgument, "model input size " + std::to_string(spec.width) + "x" +
                                                std::to_string(spec.height) + " must be between 1 and 16384 per side");
  }
  for (float s : spec.stdev) {
    if (!(s > 0.f)) throw Error(ErrorCode::InvalidArgument, "std values must be greater than 0");
  }
}

void preprocessImage(const ImageView& image, const PreprocessSpec& spec, float* out) {
  const ResizePlan plan = planResize(image.width, image.height, spec.width, spec.height, spec.mode);
  const int channels = image.channels();
  const size_t rowBytes = static_cast<size_t>(image.width) * static_cast<size_t>(channels);
  const size_t plane = spec.planeSize();

  // Tensor plane p reads source channel srcChannel[p]; normalisation folded into scale/bias.
  const std::array<int, 3> rgb = rgbOffsets(image.format);
  std::array<int, 3> srcChannel{};
  std::array<float, 3> scale{}, bias{}, padValue{};
  for (int p = 0; p < 3; ++p) {
    srcChannel[p] = spec.order == ChannelOrder::RGB ? rgb[p] : rgb[2 - p];
    scale[p] = 1.f / (255.f * spec.stdev[p]);
    bias[p] = -spec.mean[p] / spec.stdev[p];
    padValue[p] = static_cast<float>(spec.pad) * scale[p] + bias[p];
  }

  // Destination columns [x0, x1) fall inside the scaled box; the rest is padding.
  const int x0 = static_cast<int>(std::clamp<int64_t>(plan.offsetX, 0, spec.width));
  const int x1 = static_cast<int>(std::clamp<int64_t>(plan.offsetX + plan.scaledWidth, x0, spec.width));
  const int y0 = static_cast<int>(std::clamp<int64_t>(plan.offsetY, 0, spec.height));
  const int y1 = static_cast<int>(std::clamp<int64_t>(plan.offsetY + plan.scaledHeight, y0, spec.height));
  std::vector<ColumnTap> columns(static_cast<size_t>(std::max(0, x1 - x0)));
  for (int x = x0; x < x1; ++x) {
    const LinearTap t = linearTap(x - plan.offsetX, image.width, plan.scaledWidth);
    const int right = std::min(t.index + 1, image.width - 1);
    columns[static_cast<size_t>(x - x0)] = ColumnTap{static_cast<size_t>(t.index) * channels,
                                                     static_cast<size_t>(right) * channels, t.weight};
  }

  for (int y = 0; y < spec.height; ++y) {
    float* dst[3] = {out + static_cast<size_t>(y) * spec.width, out + plane + static_cast<size_t>(y) * spec.width,
                     out + 2 * plane + static_cast<size_t>(y) * spec.width};
    if (y < y0 || y >= y1) {
      for (int p = 0; p < 3; ++p) std::fill(dst[p], dst[p] + spec.width, padValue[p]);
      continue;
    }
    const LinearTap ty = linearTap(y - plan.offsetY, image.height, plan.scaledHeight);
    const uint8_t* top = image.data + static_cast<size_t>(ty.index) * rowBytes;
    const uint8_t* bottom = image.data + static_cast<size_t>(std::min(ty.index + 1, image.height - 1)) * rowBytes;
    const float wy = ty.weight;
    for (int p = 0; p < 3; ++p) {
      std::fill(dst[p], dst[p] + x0, padValue[p]);
      std::fill(dst[p] + x1, dst[p] + spec.width, padValue[p]);
    }
    for (int x = x0; x < x1; ++x) {
      const ColumnTap& c = columns[static_cast<size_t>(x - x0)];
      for (int p = 0; p < 3; ++p) {
        const int ch = srcChannel[p];
        const float t = top[c.left + ch] + c.weight * (static_cast<float>(top[c.right + ch]) - top[c.left + ch]);
        const float b =
            bottom[c.left + ch] + c.weight * (static_cast<float>(bottom[c.right + ch]) - bottom[c.left + ch]);
        dst[p][x] = (t + wy * (b - t)) * scale[p] + bias[p];
      }
    }
  }
}

void preprocessBatch(const std::vector<ImageView>& images, const PreprocessSpec& spec, float* out, int threads) {
  const size_t stride = spec.imageSize();
  parallelFor(images.size(), threads, [&](size_t i) { preprocessImage(images[i], spec, out + i * stride); });
}

}  // namespace edge
