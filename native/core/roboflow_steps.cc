#include "roboflow_steps.h"

#include <cmath>
#include <string>
#include <vector>

#include "error.h"

namespace edge {

namespace {

// Counts of each value of the window after the steps before the table: every channel of every pixel.
std::array<uint64_t, 256> histogram(const ImageView& image, const ImageSteps& s) {
  std::array<uint64_t, 256> hist{};
  const std::array<int, 3> rgb = rgbOffsets(image.format);
  const int channels = image.channels();
  const size_t row = static_cast<size_t>(image.width) * channels;
  for (int y = s.y0; y < s.y0 + s.height; ++y) {
    const uint8_t* p = image.data + static_cast<size_t>(y) * row + static_cast<size_t>(s.x0) * channels;
    for (int x = 0; x < s.width; ++x, p += channels) {
      int r = p[rgb[0]], g = p[rgb[1]], b = p[rgb[2]];
      if (s.grayFirst) r = g = b = grayOf(r, g, b);
      hist[r]++;
      hist[g]++;
      hist[b]++;
    }
  }
  return hist;
}

// The k-th smallest value (0-based) of the values counted in `hist`.
int kth(const std::array<uint64_t, 256>& hist, uint64_t k) {
  uint64_t seen = 0;
  for (int v = 0; v < 256; ++v) {
    seen += hist[v];
    if (seen > k) return v;
  }
  return 255;
}

// numpy.percentile(values, q), method 'linear': virtual index q/100*(n-1), linear between neighbours.
double percentile(const std::array<uint64_t, 256>& hist, uint64_t n, double q) {
  const double index = (q / 100.0) * static_cast<double>(n - 1);
  const double below = std::floor(index);
  const double t = index - below;
  const double a = kth(hist, static_cast<uint64_t>(below));
  const double b = kth(hist, std::min<uint64_t>(static_cast<uint64_t>(below) + 1, n - 1));
  // numpy's _lerp: a + (b - a) * t, computed from the upper end for t >= 0.5
  return t >= 0.5 ? b - (b - a) * (1.0 - t) : a + (b - a) * t;
}

// scikit-image rescale_intensity(image, in_range=(p2, p98)) of uint8 values: clipped, scaled to 0..255, truncated.
void stretchingLut(const std::array<uint64_t, 256>& hist, uint64_t n, std::array<uint8_t, 256>& lut) {
  const double low = percentile(hist, n, 2), high = percentile(hist, n, 98);
  for (int v = 0; v < 256; ++v) {
    const double c = std::min(std::max(static_cast<double>(v), low), high);
    const double out = low != high ? (c - low) / (high - low) * 255.0 : c;
    lut[v] = static_cast<uint8_t>(out);
  }
}

// scikit-image equalize_hist(image.astype(float32) / 255) * 255, then astype(uint8), for uint8 values:
// numpy.histogram's 256 float32 bins between the smallest and largest value, their float32 centres,
// numpy.interp over the cumulative distribution.
void skimageEqualizeLut(const std::array<uint64_t, 256>& hist, std::array<uint8_t, 256>& lut) {
  int lo = 0, hi = 255;
  while (lo < 255 && hist[lo] == 0) ++lo;
  while (hi > 0 && hist[hi] == 0) --hi;
  auto value = [](int v) { return static_cast<float>(v) / 255.0f; };
  float first = value(lo), last = value(hi);
  if (first == last) {  // numpy widens an empty range by 0.5 on each side
    first -= 0.5f;
    last += 0.5f;
  }
  constexpr int kBins = 256;
  // numpy.linspace(first, last, 257, dtype=float32): computed in double, the last edge exactly `last`
  std::array<float, kBins + 1> edges{};
  const double delta = static_cast<double>(last) - static_cast<double>(first);
  const double step = delta / kBins;
  for (int i = 0; i <= kBins; ++i) edges[i] = static_cast<float>(static_cast<double>(i) * step + static_cast<double>(first));
  edges[kBins] = last;
  std::array<uint64_t, kBins> counts{};
  auto binOf = [&](float x) {
    int i = static_cast<int>((static_cast<double>(x) - static_cast<double>(first)) / delta * kBins);
    i = std::min(std::max(i, 0), kBins - 1);
    while (i > 0 && x < edges[i]) --i;
    while (i < kBins - 1 && x >= edges[i + 1]) ++i;
    return i;
  };
  uint64_t total = 0;
  for (int v = lo; v <= hi; ++v) {
    if (hist[v] == 0) continue;
    counts[binOf(value(v))] += hist[v];
    total += hist[v];
  }
  std::array<double, kBins> cdf{};
  uint64_t running = 0;
  for (int i = 0; i < kBins; ++i) {
    running += counts[i];
    cdf[i] = static_cast<double>(running) / static_cast<double>(total);
  }
  std::array<double, kBins> centers{};
  for (int i = 0; i < kBins; ++i) centers[i] = static_cast<double>((edges[i] + edges[i + 1]) / 2.0f);
  for (int v = 0; v < 256; ++v) {
    const double x = value(v);
    double y;
    if (x < centers[0]) {
      y = cdf[0];
    } else if (x >= centers[kBins - 1]) {
      y = cdf[kBins - 1];
    } else {
      int j = 0;
      while (j < kBins - 1 && centers[j + 1] <= x) ++j;
      if (x == centers[j]) {
        y = cdf[j];
      } else {
        const double slope = (cdf[j + 1] - cdf[j]) / (centers[j + 1] - centers[j]);
        y = slope * (x - centers[j]) + cdf[j];
      }
    }
    const float scaled = static_cast<float>(y) * 255.0f;
    lut[v] = static_cast<uint8_t>(std::min(std::max(scaled, 0.0f), 255.0f));
  }
}

// OpenCV equalizeHist of a gray image: 0 for the lowest value present, then the cumulative count scaled to 255.
void openCvEqualizeLut(const std::array<uint64_t, 256>& hist3, std::array<uint8_t, 256>& lut) {
  std::array<uint64_t, 256> hist{};
  uint64_t total = 0;
  for (int v = 0; v < 256; ++v) {
    hist[v] = hist3[v] / 3;  // the histogram counted the three equal channels of each gray pixel
    total += hist[v];
  }
  int i = 0;
  while (i < 255 && hist[i] == 0) ++i;
  lut.fill(0);
  if (hist[i] == total) {
    lut.fill(static_cast<uint8_t>(i));  // one value: equalizeHist sets every pixel to it
    return;
  }
  const float scale = 255.0f / static_cast<float>(total - hist[i]);
  uint64_t sum = 0;
  for (lut[i++] = 0; i < 256; ++i) {
    sum += hist[i];
    const long rounded = std::lrint(static_cast<float>(sum) * scale);
    lut[i] = static_cast<uint8_t>(std::min<long>(std::max<long>(rounded, 0), 255));
  }
}

}  // namespace

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

void validateSteps(const RoboflowSteps& steps) {
  if (!steps.crop) return;
  for (double v : {steps.xMin, steps.yMin, steps.xMax, steps.yMax}) {
    if (!(v >= 0 && v <= 100)) throw Error(ErrorCode::InvalidArgument, "static-crop bounds must be percentages from 0 to 100");
  }
  if (!(steps.xMin < steps.xMax && steps.yMin < steps.yMax)) {
    throw Error(ErrorCode::InvalidArgument, "static-crop is empty: x_min must be below x_max and y_min below y_max");
  }
}

ImageSteps planSteps(const ImageView& image, const RoboflowSteps& steps) {
  ImageSteps s;
  s.width = image.width;
  s.height = image.height;
  if (steps.crop && !(image.disabled & kDisableStaticCrop)) {
    // Python's int(v / 100 * size): truncation, then the slice [y_min:y_max, x_min:x_max]
    const auto at = [](double percent, int size) { return static_cast<int64_t>(percent / 100.0 * size); };
    const int64_t x0 = at(steps.xMin, image.width), x1 = std::min<int64_t>(at(steps.xMax, image.width), image.width);
    const int64_t y0 = at(steps.yMin, image.height), y1 = std::min<int64_t>(at(steps.yMax, image.height), image.height);
    if (x1 <= x0 || y1 <= y0) {
      throw Error(ErrorCode::InvalidImage, "the model's static crop leaves no pixel of this " + std::to_string(image.width) + "x" +
                                               std::to_string(image.height) + " image");
    }
    s.x0 = static_cast<int>(x0);
    s.y0 = static_cast<int>(y0);
    s.width = static_cast<int>(x1 - x0);
    s.height = static_cast<int>(y1 - y0);
  }
  const bool gray = steps.grayscale && !(image.disabled & kDisableGrayscale);
  const Contrast contrast = image.disabled & kDisableContrast ? Contrast::None : steps.contrast;
  if (steps.contrastFirst) {  // legacy: contrast (its equalizations on gray), then grayscale
    s.grayFirst = contrast == Contrast::EqualizeOpenCv;
    s.grayAfter = gray && !s.grayFirst;
  } else {
    s.grayFirst = gray || contrast == Contrast::EqualizeOpenCv;
  }
  if (contrast == Contrast::None) return s;
  const std::array<uint64_t, 256> hist = histogram(image, s);
  const uint64_t n = 3 * static_cast<uint64_t>(s.width) * static_cast<uint64_t>(s.height);
  switch (contrast) {
    case Contrast::Stretching: stretchingLut(hist, n, s.lut); break;
    case Contrast::EqualizeSkimage: skimageEqualizeLut(hist, s.lut); break;
    case Contrast::EqualizeOpenCv: openCvEqualizeLut(hist, s.lut); break;
    case Contrast::None: break;
  }
  s.useLut = true;
  return s;
}

}  // namespace edge
