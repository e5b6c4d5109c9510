// Where the source image lands in the model's input: shared by the CPU
// preprocessor and the CUDA kernel so that both place pixels identically.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define EDGE_HD __host__ __device__
#else
#define EDGE_HD
#endif

namespace edge {

// Stretch, letterbox and center-crop (shorter side to the target, then cut) resize; Crop cuts the
// central target-sized window without resizing (Roboflow's inference_config.json "center-crop"),
// centring a smaller image on the pad colour.
enum class ResizeMode { Stretch, Letterbox, CenterCrop, Crop };

// How a letterbox's scaled size is computed. Exact: integer arithmetic (the contract's "Decisions").
// Legacy: Roboflow's legacy server, r = w/h in double, nh = int(W / r) or nw = int(H * r).
// Scale: Roboflow's default server, s = min(W/w, H/h) in double, nw = int(w*s), nh = int(h*s).
enum class LetterboxRounding { Exact, Legacy, Scale };

// The source is resized (bilinear, half-pixel centres) to scaledWidth x
// scaledHeight and its top-left corner is put at (offsetX, offsetY) in the
// target. Letterbox offsets are >= 0 (padding around the box); center-crop
// offsets are <= 0 (the part outside the target is cut off).
// 64-bit: a center-crop of an extreme aspect ratio (10,000,000 x 1 into 224 x 224) scales the long
// side far past the range of int.
struct ResizePlan {
  int64_t scaledWidth = 0;
  int64_t scaledHeight = 0;
  int64_t offsetX = 0;
  int64_t offsetY = 0;
};

// Exact integer geometry (the spec's "Decisions" section):
// letterbox: if w*H >= W*h then nw = W, nh = floor(W*h/w) else nh = H, nw = floor(H*w/h);
//            left = floor((W-nw)/2), top = floor((H-nh)/2): the odd pixel goes right/bottom.
// center-crop: the shorter side scaled to the target (same truncation), then
//            left = floor((rw-W)/2), top = floor((rh-H)/2) cut off.
EDGE_HD inline ResizePlan planResize(int srcW, int srcH, int dstW, int dstH, ResizeMode mode,
                                     LetterboxRounding rounding = LetterboxRounding::Exact) {
  ResizePlan plan;
  const int64_t w = srcW, h = srcH, W = dstW, H = dstH;
  const bool wider = w * H >= W * h;  // source is at least as wide (relative) as the target
  switch (mode) {
    case ResizeMode::Stretch:
      plan.scaledWidth = dstW;
      plan.scaledHeight = dstH;
      break;
    case ResizeMode::Letterbox: {
      int64_t nw = wider ? W : (H * w) / h;
      int64_t nh = wider ? (W * h) / w : H;
      if (rounding == LetterboxRounding::Legacy) {
        const double r = static_cast<double>(w) / static_cast<double>(h);
        const bool byWidth = r >= static_cast<double>(W) / static_cast<double>(H);
        nw = byWidth ? W : static_cast<int64_t>(static_cast<double>(H) * r);
        nh = byWidth ? static_cast<int64_t>(static_cast<double>(W) / r) : H;
      } else if (rounding == LetterboxRounding::Scale) {
        const double sw = static_cast<double>(W) / static_cast<double>(w), sh = static_cast<double>(H) / static_cast<double>(h);
        const double s = sw < sh ? sw : sh;
        nw = static_cast<int64_t>(static_cast<double>(w) * s);
        nh = static_cast<int64_t>(static_cast<double>(h) * s);
      }
      nw = nw < 1 ? 1 : nw;
      nh = nh < 1 ? 1 : nh;
      plan.scaledWidth = nw;
      plan.scaledHeight = nh;
      plan.offsetX = (W - nw) / 2;
      plan.offsetY = (H - nh) / 2;
      break;
    }
    case ResizeMode::CenterCrop: {
      int64_t rw = wider ? (H * w) / h : W;
      int64_t rh = wider ? H : (W * h) / w;
      rw = rw < 1 ? 1 : rw;
      rh = rh < 1 ? 1 : rh;
      plan.scaledWidth = rw;
      plan.scaledHeight = rh;
      plan.offsetX = -((rw - W) / 2);
      plan.offsetY = -((rh - H) / 2);
      break;
    }
    case ResizeMode::Crop:
      plan.scaledWidth = w;
      plan.scaledHeight = h;
      plan.offsetX = w > W ? -((w - W) / 2) : (W - w) / 2;
      plan.offsetY = h > H ? -((h - H) / 2) : (H - h) / 2;
      break;
  }
  return plan;
}

// OpenCV INTER_LINEAR source coordinate for destination index `d` when `src`
// pixels are resized to `dst`: half-pixel centres, clamped at both edges the
// way cv::resize does (weight 0 on the missing neighbour).
struct LinearTap {
  int index;     // left/top source pixel
  float weight;  // weight of index+1 (index itself gets 1-weight)
};

EDGE_HD inline LinearTap linearTap(int64_t d, int src, int64_t dst) {
  const double scale = static_cast<double>(src) / static_cast<double>(dst);
  float f = static_cast<float>((static_cast<double>(d) + 0.5) * scale - 0.5);
  int i = static_cast<int>(floorf(f));
  f -= static_cast<float>(i);
  if (i < 0) {
    i = 0;
    f = 0.f;
  }
  if (i >= src - 1) {
    i = src - 1;
    f = 0.f;
  }
  return LinearTap{i, f};
}

// OpenCV's cv::resize INTER_LINEAR on 8-bit images, bit for bit (test/32-roboflow.test.ts compares
// the result with cv2.resize): the same source coordinates, weights in 11-bit fixed point rounded to
// nearest, the result rounded to 8 bits. Columns are clamped as linearTap(); rows keep their fraction
// and only their indices are clamped (OpenCV's vertical pass), which matters at the top and bottom edge.
struct FixedTap {
  int index0, index1;  // source pixels
  int w0, w1;          // their weights, summing to about 2048
};

EDGE_HD inline FixedTap fixedColumnTap(int64_t d, int src, int64_t dst) {
  const LinearTap t = linearTap(d, src, dst);
  const int next = t.index + 1 < src ? t.index + 1 : src - 1;
  return FixedTap{t.index, next, static_cast<int>(rintf((1.f - t.weight) * 2048.f)), static_cast<int>(rintf(t.weight * 2048.f))};
}

EDGE_HD inline FixedTap fixedRowTap(int64_t d, int src, int64_t dst) {
  const double scale = static_cast<double>(src) / static_cast<double>(dst);
  float f = static_cast<float>((static_cast<double>(d) + 0.5) * scale - 0.5);
  const int i = static_cast<int>(floorf(f));
  f -= static_cast<float>(i);
  const int i0 = i < 0 ? 0 : (i > src - 1 ? src - 1 : i);
  const int i1 = i + 1 < 0 ? 0 : (i + 1 > src - 1 ? src - 1 : i + 1);
  return FixedTap{i0, i1, static_cast<int>(rintf((1.f - f) * 2048.f)), static_cast<int>(rintf(f * 2048.f))};
}

// Two horizontally interpolated rows (sums of pixel x weight) -> the 8-bit result, as OpenCV's VResizeLinear.
EDGE_HD inline int fixedBlend(int s0, int s1, int b0, int b1) {
  return (((b0 * (s0 >> 4)) >> 16) + ((b1 * (s1 >> 4)) >> 16) + 2) >> 2;
}

}  // namespace edge
