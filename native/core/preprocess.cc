#include "preprocess.h"

#include <algorithm>
#include <string>

#include "error.h"
#include "parallel.h"

namespace edge {

namespace {

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
  validateSteps(spec.steps);
}

namespace {

// One destination row of the scaled box, x in [x0, x1), with the Roboflow steps applied to each of
// the four source pixels of a tap before interpolation (the steps are per pixel: the same as applying
// them to the whole image first).
void stepRow(const uint8_t* top, const uint8_t* bottom, float wy, const std::vector<ColumnTap>& columns, int x0, int x1,
             const std::array<int, 3>& rgb, bool bgr, const ImageSteps& steps, const std::array<float, 3>& scale,
             const std::array<float, 3>& bias, float* const dst[3]) {
  const uint8_t* lut = steps.useLut ? steps.lut.data() : nullptr;
  auto pixel = [&](const uint8_t* p, float (&v)[3]) {
    int r = p[rgb[0]], g = p[rgb[1]], b = p[rgb[2]];
    stepPixel(r, g, b, steps.grayFirst, lut, steps.grayAfter);
    v[0] = static_cast<float>(bgr ? b : r);
    v[1] = static_cast<float>(g);
    v[2] = static_cast<float>(bgr ? r : b);
  };
  for (int x = x0; x < x1; ++x) {
    const ColumnTap& c = columns[static_cast<size_t>(x - x0)];
    float tl[3], tr[3], bl[3], br[3];
    pixel(top + c.left, tl);
    pixel(top + c.right, tr);
    pixel(bottom + c.left, bl);
    pixel(bottom + c.right, br);
    for (int p = 0; p < 3; ++p) {
      const float t = tl[p] + c.weight * (tr[p] - tl[p]);
      const float b = bl[p] + c.weight * (br[p] - bl[p]);
      dst[p][x] = (t + wy * (b - t)) * scale[p] + bias[p];
    }
  }
}

// Rows [y0, y1) x columns [x0, x1) of the scaled box as OpenCV's 8-bit cv::resize computes them
// (geometry.h FixedTap), the steps applied to each source pixel first.
void fixedBox(const uint8_t* origin, size_t rowBytes, int channels, const ImageSteps& steps, const ResizePlan& plan,
              const std::array<int, 3>& rgb, bool bgr, const std::array<float, 3>& scale, const std::array<float, 3>& bias,
              int x0, int x1, int y0, int y1, int width, size_t plane, float* out) {
  std::vector<FixedTap> columns(static_cast<size_t>(std::max(0, x1 - x0)));
  for (int x = x0; x < x1; ++x) columns[static_cast<size_t>(x - x0)] = fixedColumnTap(x - plan.offsetX, steps.width, plan.scaledWidth);
  const uint8_t* lut = steps.useLut ? steps.lut.data() : nullptr;
  auto pixel = [&](const uint8_t* row, int index, int (&v)[3]) {
    const uint8_t* p = row + static_cast<size_t>(index) * channels;
    int r = p[rgb[0]], g = p[rgb[1]], b = p[rgb[2]];
    stepPixel(r, g, b, steps.grayFirst, lut, steps.grayAfter);
    v[0] = bgr ? b : r;
    v[1] = g;
    v[2] = bgr ? r : b;
  };
  for (int y = y0; y < y1; ++y) {
    const FixedTap ty = fixedRowTap(y - plan.offsetY, steps.height, plan.scaledHeight);
    const uint8_t* top = origin + static_cast<size_t>(ty.index0) * rowBytes;
    const uint8_t* bottom = origin + static_cast<size_t>(ty.index1) * rowBytes;
    for (int x = x0; x < x1; ++x) {
      const FixedTap& tx = columns[static_cast<size_t>(x - x0)];
      int tl[3], tr[3], bl[3], br[3];
      pixel(top, tx.index0, tl);
      pixel(top, tx.index1, tr);
      pixel(bottom, tx.index0, bl);
      pixel(bottom, tx.index1, br);
      const size_t at = static_cast<size_t>(y) * width + x;
      for (int p = 0; p < 3; ++p) {
        const int v = fixedBlend(tl[p] * tx.w0 + tr[p] * tx.w1, bl[p] * tx.w0 + br[p] * tx.w1, ty.w0, ty.w1);
        out[p * plane + at] = static_cast<float>(v) * scale[p] + bias[p];
      }
    }
  }
}

}  // namespace

void preprocessImage(const ImageView& image, const PreprocessSpec& spec, float* out) {
  // The window the steps leave (the whole image without a static crop) is the resize's source.
  const ImageSteps steps = planSteps(image, spec.steps);
  // an adaptive equalization's result (the window, all steps done) is read instead of the source
  const ImageView source = steps.source(image);
  const ResizePlan plan = planResize(steps.width, steps.height, spec.width, spec.height, spec.mode, spec.rounding);
  const int channels = source.channels();
  const size_t rowBytes = static_cast<size_t>(source.width) * static_cast<size_t>(channels);
  const uint8_t* origin = steps.buffered() ? source.data
                                           : image.data + static_cast<size_t>(steps.y0) * rowBytes + static_cast<size_t>(steps.x0) * channels;
  const size_t plane = spec.planeSize();

  // Tensor plane p reads source channel srcChannel[p]; normalisation folded into scale/bias.
  const std::array<int, 3> rgb = rgbOffsets(source.format);
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
    const LinearTap t = linearTap(x - plan.offsetX, steps.width, plan.scaledWidth);
    const int right = std::min(t.index + 1, steps.width - 1);
    columns[static_cast<size_t>(x - x0)] = ColumnTap{static_cast<size_t>(t.index) * channels,
                                                     static_cast<size_t>(right) * channels, t.weight};
  }

  if (spec.uint8Resize) {
    for (int p = 0; p < 3; ++p) std::fill(out + p * plane, out + (p + 1) * plane, padValue[p]);
    fixedBox(origin, rowBytes, channels, steps, plan, rgb, spec.order == ChannelOrder::BGR, scale, bias, x0, x1, y0, y1,
             spec.width, plane, out);
    return;
  }
  for (int y = 0; y < spec.height; ++y) {
    float* dst[3] = {out + static_cast<size_t>(y) * spec.width, out + plane + static_cast<size_t>(y) * spec.width,
                     out + 2 * plane + static_cast<size_t>(y) * spec.width};
    if (y < y0 || y >= y1) {
      for (int p = 0; p < 3; ++p) std::fill(dst[p], dst[p] + spec.width, padValue[p]);
      continue;
    }
    const LinearTap ty = linearTap(y - plan.offsetY, steps.height, plan.scaledHeight);
    const uint8_t* top = origin + static_cast<size_t>(ty.index) * rowBytes;
    const uint8_t* bottom = origin + static_cast<size_t>(std::min(ty.index + 1, steps.height - 1)) * rowBytes;
    const float wy = ty.weight;
    for (int p = 0; p < 3; ++p) {
      std::fill(dst[p], dst[p] + x0, padValue[p]);
      std::fill(dst[p] + x1, dst[p] + spec.width, padValue[p]);
    }
    if (!steps.identity()) {
      stepRow(top, bottom, wy, columns, x0, x1, rgb, spec.order == ChannelOrder::BGR, steps, scale, bias, dst);
      continue;
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
