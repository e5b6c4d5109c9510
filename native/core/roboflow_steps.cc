#include "roboflow_steps.h"

#include <algorithm>
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

// OpenCV's borderInterpolate for BORDER_REFLECT_101 (reflection without repeating the edge, repeated
// while the index is outside: images smaller than the border too).
int reflect101(int p, int len) {
  if (len == 1) return 0;
  while (p < 0 || p >= len) p = p < 0 ? -p : 2 * (len - 1) - p;
  return p;
}

// The two tiles whose centres surround pixel coordinate `p` (tile size 1/inv), and their weights, as
// OpenCV's CLAHE interpolation computes them in float.
struct TileTap {
  int first, second;
  float weight, weight1;  // of `second`, of `first`
};

TileTap tileTap(int p, float inv, int tiles) {
  const float f = static_cast<float>(p) * inv - 0.5f;
  const int t1 = static_cast<int>(std::floor(f));
  const float a = f - static_cast<float>(t1);
  return TileTap{std::max(t1, 0), std::min(t1 + 1, tiles - 1), a, 1.0f - a};
}

// OpenCV's CLAHE (imgproc/src/clahe.cpp) of a gray plane, clip limit 0.03, 8x8 tiles: the image
// extended by reflection to a multiple of the tiles (a whole extra tile where it already is one on the
// other axis, as OpenCV does), one clipped and redistributed histogram per tile, lookup tables
// interpolated bilinearly between the four nearest tiles' centres, rounded to 8 bits.
std::vector<uint8_t> openCvClahe(const std::vector<uint8_t>& gray, int w, int h) {
  constexpr int kTiles = 8, kBins = 256;
  constexpr double kClip = 0.03;
  const bool divisible = w % kTiles == 0 && h % kTiles == 0;
  const int extW = divisible ? w : w + kTiles - w % kTiles;
  const int extH = divisible ? h : h + kTiles - h % kTiles;
  const int tileW = extW / kTiles, tileH = extH / kTiles;
  const int tileArea = tileW * tileH;
  const float lutScale = static_cast<float>(kBins - 1) / tileArea;
  const int clipLimit = std::max(static_cast<int>(kClip * tileArea / kBins), 1);
  std::vector<uint8_t> luts(static_cast<size_t>(kTiles) * kTiles * kBins);
  for (int ty = 0; ty < kTiles; ++ty) {
    for (int tx = 0; tx < kTiles; ++tx) {
      std::array<int, kBins> hist{};
      for (int y = ty * tileH; y < (ty + 1) * tileH; ++y) {
        const int sy = reflect101(y, h);
        for (int x = tx * tileW; x < (tx + 1) * tileW; ++x) hist[gray[static_cast<size_t>(sy) * w + reflect101(x, w)]]++;
      }
      int clipped = 0;
      for (int& v : hist) {
        if (v > clipLimit) {
          clipped += v - clipLimit;
          v = clipLimit;
        }
      }
      const int batch = clipped / kBins;
      int residual = clipped - batch * kBins;
      for (int& v : hist) v += batch;
      if (residual != 0) {
        const int step = std::max(kBins / residual, 1);
        for (int i = 0; i < kBins && residual > 0; i += step, residual--) hist[i]++;
      }
      uint8_t* lut = &luts[(static_cast<size_t>(ty) * kTiles + tx) * kBins];
      int sum = 0;
      for (int i = 0; i < kBins; ++i) {
        sum += hist[i];
        lut[i] = static_cast<uint8_t>(std::min(std::max(std::lrint(static_cast<float>(sum) * lutScale), 0L), 255L));
      }
    }
  }
  std::vector<uint8_t> out(gray.size());
  std::vector<TileTap> columns(static_cast<size_t>(w));
  for (int x = 0; x < w; ++x) columns[static_cast<size_t>(x)] = tileTap(x, 1.0f / tileW, kTiles);
  for (int y = 0; y < h; ++y) {
    const TileTap ty = tileTap(y, 1.0f / tileH, kTiles);
    for (int x = 0; x < w; ++x) {
      const TileTap& tx = columns[static_cast<size_t>(x)];
      const int v = gray[static_cast<size_t>(y) * w + x];
      const auto at = [&](int row, int col) { return static_cast<float>(luts[(static_cast<size_t>(row) * kTiles + col) * kBins + v]); };
      const float res = (at(ty.first, tx.first) * tx.weight1 + at(ty.first, tx.second) * tx.weight) * ty.weight1 +
                        (at(ty.second, tx.first) * tx.weight1 + at(ty.second, tx.second) * tx.weight) * ty.weight;
      out[static_cast<size_t>(y) * w + x] = static_cast<uint8_t>(std::min(std::max(std::lrint(res), 0L), 255L));
    }
  }
  return out;
}

// scikit-image's clip_histogram (exposure/_adapthist.py), step for step.
void skimageClipHistogram(std::vector<int64_t>& hist, int64_t clip) {
  int64_t excess = 0;
  for (int64_t& v : hist) {
    if (v > clip) {
      excess += v - clip;
      v = clip;
    }
  }
  const int64_t n = static_cast<int64_t>(hist.size());
  const int64_t increment = excess / n;
  const int64_t upper = clip - increment;
  for (int64_t& v : hist) {
    if (v < upper) {
      v += increment;
      excess -= increment;
    }
  }
  for (int64_t& v : hist) {
    if (v >= upper && v < clip) {
      excess += v - clip;
      v = clip;
    }
  }
  while (excess > 0) {
    const int64_t before = excess;
    for (int64_t index = 0; index < n; ++index) {
      int64_t under = 0;
      for (int64_t v : hist) under += v < clip;
      const int64_t step = std::max<int64_t>(1, under / excess);
      int64_t added = 0;
      for (int64_t i = index; i < n; i += step) {
        if (hist[i] < clip) {
          hist[i] += 1;
          ++added;
        }
      }
      excess -= added;
      if (excess <= 0) break;
    }
    if (before == excess) break;
  }
}

// scikit-image equalize_adapthist(value, clip_limit=0.03) of a float32 plane in [0, 1] (the HSV value),
// as exposure/_adapthist.py computes it: to uint16, rescaled to 14 bits, padded by reflection to whole
// kernels (1/8 of each side), 256 bins, clipped histograms per kernel, their cumulative maps, a
// bilinear blend of the four neighbouring maps (float32), then rescaled to 0..1 by its own range.
std::vector<float> skimageAdaptive(const std::vector<float>& value, int w, int h) {
  constexpr int kGray = 1 << 14, kBins = 256;
  const int binSize = 1 + kGray / kBins;
  // img_as_uint: rint(v * 65535) in float32
  std::vector<int> u16(value.size());
  int lo = 65535, hi = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const float scaled = std::nearbyint(value[i] * 65535.0f);
    u16[i] = static_cast<int>(std::min(std::max(scaled, 0.0f), 65535.0f));
    lo = std::min(lo, u16[i]);
    hi = std::max(hi, u16[i]);
  }
  // rescale_intensity(out_range=(0, 16383)) in float64, then np.round (half to even)
  std::vector<int> img(u16.size());
  for (size_t i = 0; i < u16.size(); ++i) {
    double v;
    if (lo != hi) {
      v = (static_cast<double>(u16[i]) - lo) / (static_cast<double>(hi) - lo) * (kGray - 1);
    } else {
      v = std::min(std::max(static_cast<double>(u16[i]), 0.0), static_cast<double>(kGray - 1));
    }
    img[i] = static_cast<int>(std::nearbyint(v));
  }
  const int kh = std::max(h / 8, 1), kw = std::max(w / 8, 1);
  const int padTop = kh / 2, padLeft = kw / 2;
  const int padBottom = (kh - h % kh) % kh + (kh + 1) / 2, padRight = (kw - w % kw) % kw + (kw + 1) / 2;
  const int ph = h + padTop + padBottom, pw = w + padLeft + padRight;
  // numpy.pad(mode='reflect') is OpenCV's BORDER_REFLECT_101: reflect101
  auto padded = [&](int y, int x) { return img[static_cast<size_t>(reflect101(y - padTop, h)) * w + reflect101(x - padLeft, w)] / binSize; };
  const int nhY = ph / kh - 1, nhX = pw / kw - 1;  // kernels with histograms
  const int64_t elements = static_cast<int64_t>(kh) * kw;
  const int64_t clip = std::max<int64_t>(static_cast<int64_t>(0.03 * static_cast<double>(elements)), 1);
  std::vector<std::vector<int>> maps(static_cast<size_t>(nhY) * nhX);
  for (int by = 0; by < nhY; ++by) {
    for (int bx = 0; bx < nhX; ++bx) {
      std::vector<int64_t> hist(kBins, 0);
      for (int y = padTop + by * kh; y < padTop + (by + 1) * kh; ++y) {
        for (int x = padLeft + bx * kw; x < padLeft + (bx + 1) * kw; ++x) hist[padded(y, x)]++;
      }
      skimageClipHistogram(hist, clip);
      std::vector<int>& map = maps[static_cast<size_t>(by) * nhX + bx];
      map.resize(kBins);
      int64_t sum = 0;
      for (int i = 0; i < kBins; ++i) {
        sum += hist[i];
        double m = static_cast<double>(sum) * (static_cast<double>(kGray - 1) / static_cast<double>(elements));
        m = std::min(m, static_cast<double>(kGray - 1));
        map[i] = static_cast<int>(m);
      }
    }
  }
  // maps padded by one kernel on each side ("edge"): map(i, j) of kernel (i - 1, j - 1), clamped
  auto mapAt = [&](int my, int mx, int bin) {
    const int cy = std::min(std::max(my - 1, 0), nhY - 1), cx = std::min(std::max(mx - 1, 0), nhX - 1);
    return maps[static_cast<size_t>(cy) * nhX + cx][bin];
  };
  std::vector<float> result(static_cast<size_t>(w) * h);
  float rmin = 0, rmax = 0;
  bool first = true;
  for (int y = padTop; y < padTop + h; ++y) {
    const int by = y / kh;
    const double fy = static_cast<double>(y % kh) / kh;
    for (int x = padLeft; x < padLeft + w; ++x) {
      const int bx = x / kw;
      const double fx = static_cast<double>(x % kw) / kw;
      const int bin = padded(y, x);
      float acc = 0.0f;
      // np.ndindex(2, 2): (0, 0), (0, 1), (1, 0), (1, 1) — (y edge, x edge)
      for (int ey = 0; ey < 2; ++ey) {
        for (int ex = 0; ex < 2; ++ex) {
          const double weight = (ex ? fx : 1.0 - fx) * (ey ? fy : 1.0 - fy);
          acc += static_cast<float>(static_cast<double>(mapAt(by + ey, bx + ex, bin)) * weight);
        }
      }
      const float v = static_cast<float>(static_cast<int>(acc));  // astype(uint16), then astype(float32)
      result[static_cast<size_t>(y - padTop) * w + (x - padLeft)] = v;
      if (first || v < rmin) rmin = v;
      if (first || v > rmax) rmax = v;
      first = false;
    }
  }
  // rescale_intensity to 0..1 (float32)
  for (float& v : result) {
    if (rmin != rmax) {
      v = (std::min(std::max(v, rmin), rmax) - rmin) / (rmax - rmin) * 1.0f + 0.0f;
    } else {
      v = std::min(std::max(v, 0.0f), 1.0f);
    }
  }
  return result;
}

// Roboflow's default-path Adaptive Equalization of an interleaved 3-channel window (channels in the
// server's order, B, G, R): x/255 in float32, scikit-image's rgb2hsv, equalize_adapthist on the value,
// hsv2rgb, x255, truncated to 8 bits.
std::vector<uint8_t> skimageClahe(const std::vector<uint8_t>& pixels, int w, int h) {
  const size_t n = static_cast<size_t>(w) * h;
  std::vector<float> hue(n), sat(n), value(n);
  for (size_t i = 0; i < n; ++i) {
    const float a = static_cast<float>(pixels[3 * i]) / 255.0f, b = static_cast<float>(pixels[3 * i + 1]) / 255.0f,
                c = static_cast<float>(pixels[3 * i + 2]) / 255.0f;
    const float v = std::max(a, std::max(b, c));
    const float delta = v - std::min(a, std::min(b, c));
    float hh = 0.0f;
    if (delta != 0.0f) {
      // the later assignments win where two channels are the maximum
      if (a == v) hh = (b - c) / delta;
      if (b == v) hh = 2.0f + (c - a) / delta;
      if (c == v) hh = 4.0f + (a - b) / delta;
      hh = std::fmod(hh / 6.0f, 1.0f);
      if (hh < 0.0f) hh += 1.0f;  // numpy's % takes the divisor's sign
    }
    hue[i] = hh;
    sat[i] = delta == 0.0f ? 0.0f : delta / v;
    value[i] = v;
  }
  const std::vector<float> equalized = skimageAdaptive(value, w, h);
  std::vector<uint8_t> out(3 * n);
  for (size_t i = 0; i < n; ++i) {
    const float hh = hue[i], ss = sat[i], v = equalized[i];
    const float hi = std::floor(hh * 6.0f);
    const float f = hh * 6.0f - hi;
    const float p = v * (1.0f - ss), q = v * (1.0f - f * ss), t = v * (1.0f - (1.0f - f) * ss);
    float rgb[3];
    switch (static_cast<int>(static_cast<uint8_t>(hi)) % 6) {
      case 0: rgb[0] = v, rgb[1] = t, rgb[2] = p; break;
      case 1: rgb[0] = q, rgb[1] = v, rgb[2] = p; break;
      case 2: rgb[0] = p, rgb[1] = v, rgb[2] = t; break;
      case 3: rgb[0] = p, rgb[1] = q, rgb[2] = v; break;
      case 4: rgb[0] = t, rgb[1] = p, rgb[2] = v; break;
      default: rgb[0] = v, rgb[1] = p, rgb[2] = q; break;
    }
    for (int k = 0; k < 3; ++k) out[3 * i + k] = static_cast<uint8_t>(std::min(std::max(rgb[k] * 255.0f, 0.0f), 255.0f));
  }
  return out;
}

}  // namespace

ImageView ImageSteps::source(const ImageView& image) const {
  if (!buffered()) return image;
  ImageView view;
  view.data = buffer.data();
  view.width = width;
  view.height = height;
  view.format = bufferFormat;
  view.byteLength = buffer.size();
  return view;
}

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
    s.grayFirst = contrast == Contrast::EqualizeOpenCv || contrast == Contrast::AdaptiveOpenCv;
    s.grayAfter = gray && !s.grayFirst;
  } else {
    s.grayFirst = gray || contrast == Contrast::EqualizeOpenCv || contrast == Contrast::AdaptiveOpenCv;
  }
  if (contrast == Contrast::None) return s;
  if (contrast == Contrast::AdaptiveOpenCv || contrast == Contrast::AdaptiveSkimage) {
    // the window after the steps before the contrast, in the server's channel order (B, G, R)
    const std::array<int, 3> rgb = rgbOffsets(image.format);
    const int channels = image.channels();
    const size_t row = static_cast<size_t>(image.width) * channels;
    const size_t n = static_cast<size_t>(s.width) * s.height;
    const bool grayOnly = contrast == Contrast::AdaptiveOpenCv;
    std::vector<uint8_t> window(grayOnly ? n : 3 * n);
    for (int y = 0; y < s.height; ++y) {
      const uint8_t* p = image.data + static_cast<size_t>(s.y0 + y) * row + static_cast<size_t>(s.x0) * channels;
      for (int x = 0; x < s.width; ++x, p += channels) {
        int r = p[rgb[0]], g = p[rgb[1]], b = p[rgb[2]];
        if (s.grayFirst) r = g = b = grayOf(r, g, b);
        const size_t at = static_cast<size_t>(y) * s.width + x;
        if (grayOnly) {
          window[at] = static_cast<uint8_t>(r);
        } else {
          window[3 * at] = static_cast<uint8_t>(b);
          window[3 * at + 1] = static_cast<uint8_t>(g);
          window[3 * at + 2] = static_cast<uint8_t>(r);
        }
      }
    }
    s.buffer = grayOnly ? openCvClahe(window, s.width, s.height) : skimageClahe(window, s.width, s.height);
    s.bufferFormat = grayOnly ? PixelFormat::Gray : PixelFormat::BGR;
    s.grayFirst = false;
    s.grayAfter = false;  // legacy grayscale after an equalization of gray: nothing left to do
    return s;
  }
  const std::array<uint64_t, 256> hist = histogram(image, s);
  const uint64_t n = 3 * static_cast<uint64_t>(s.width) * static_cast<uint64_t>(s.height);
  switch (contrast) {
    case Contrast::Stretching: stretchingLut(hist, n, s.lut); break;
    case Contrast::EqualizeSkimage: skimageEqualizeLut(hist, s.lut); break;
    case Contrast::EqualizeOpenCv: openCvEqualizeLut(hist, s.lut); break;
    case Contrast::None:
    case Contrast::AdaptiveSkimage:
    case Contrast::AdaptiveOpenCv: break;
  }
  s.useLut = true;
  return s;
}

}  // namespace edge
