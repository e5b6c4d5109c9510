// The preprocessing core without Node: random images of every pixel format through every resize
// mode, letterbox rounding, 8-bit or float interpolation and combination of Roboflow steps (static
// crop, grayscale, contrast in both orders), checked for finite values inside the normalised range —
// and, built under AddressSanitizer+UBSan by scripts/native-tests.sh, for reads inside the source
// view only. Exits non-zero on the first failed check.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "error.h"
#include "preprocess.h"
#include "roboflow_steps.h"
#include "check.h"

using namespace edge;

namespace {

void randomImages() {
  std::mt19937 rng(7);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const PixelFormat formats[] = {PixelFormat::Gray, PixelFormat::RGB, PixelFormat::BGR, PixelFormat::RGBA, PixelFormat::BGRA};
  const ResizeMode modes[] = {ResizeMode::Stretch, ResizeMode::Letterbox, ResizeMode::CenterCrop, ResizeMode::Crop};
  const Contrast contrasts[] = {Contrast::None, Contrast::Stretching, Contrast::EqualizeSkimage, Contrast::EqualizeOpenCv,
                                Contrast::AdaptiveSkimage, Contrast::AdaptiveOpenCv};
  const LetterboxRounding roundings[] = {LetterboxRounding::Exact, LetterboxRounding::Legacy, LetterboxRounding::Scale};
  int cropped = 0;
  for (int round = 0; round < 600; ++round) {
    ImageView image;
    image.format = formats[pick(0, 4)];
    image.width = pick(1, round % 7 == 0 ? 2000 : 90);
    image.height = pick(1, round % 11 == 0 ? 1500 : 90);
    // exactly the bytes the view covers: any read past them is a heap overflow under ASan
    std::vector<uint8_t> pixels(static_cast<size_t>(image.width) * image.height * channelsOf(image.format));
    const int flat = pick(0, 3);  // some images of one value: the contrast tables' degenerate cases
    for (auto& p : pixels) p = static_cast<uint8_t>(flat == 0 ? 77 : pick(0, 255));
    image.data = pixels.data();
    image.byteLength = pixels.size();
    image.disabled = static_cast<uint8_t>(pick(0, 7) == 0 ? pick(1, 7) : 0);
    PreprocessSpec spec;
    spec.width = pick(1, 64);
    spec.height = pick(1, 64);
    spec.mode = modes[pick(0, 3)];
    spec.rounding = roundings[pick(0, 2)];
    spec.uint8Resize = pick(0, 1) == 1;
    spec.order = pick(0, 1) ? ChannelOrder::RGB : ChannelOrder::BGR;
    spec.pad = static_cast<uint8_t>(pick(0, 255));
    spec.mean = {0.5f, 0.4f, 0.3f};
    spec.stdev = {0.2f, 0.3f, 0.4f};
    RoboflowSteps& steps = spec.steps;
    steps.grayscale = pick(0, 1) == 1;
    steps.contrast = contrasts[pick(0, 5)];
    steps.contrastFirst = pick(0, 1) == 1;
    if (pick(0, 1)) {
      steps.crop = true;
      steps.xMin = pick(0, 60);
      steps.yMin = pick(0, 60);
      steps.xMax = pick(static_cast<int>(steps.xMin) + 1, 100);
      steps.yMax = pick(static_cast<int>(steps.yMin) + 1, 100);
    }
    validateSpec(spec);
    std::vector<float> out(spec.imageSize());
    try {
      preprocessImage(image, spec, out.data());
    } catch (const Error& e) {
      // only a crop that leaves no pixel of a small image may refuse it
      CHECK(e.code() == ErrorCode::InvalidImage && steps.crop);
      ++cropped;
      continue;
    }
    for (size_t i = 0; i < out.size(); ++i) {
      const int p = static_cast<int>(i / spec.planeSize());
      const float low = (0.f - spec.mean[p]) / spec.stdev[p] - 1e-3f, high = (1.f - spec.mean[p]) / spec.stdev[p] + 1e-3f;
      if (!(std::isfinite(out[i]) && out[i] >= low && out[i] <= high)) {
        CHECK(false);
        break;
      }
    }
  }
  std::printf("preprocess_test: 600 random images (%d refused by an empty crop)\n", cropped);
}

// The contrast tables of one value map it somewhere in 0..255 without dividing by zero.
void flatTables() {
  std::vector<uint8_t> pixels(5 * 4 * 3, 200);
  ImageView image{pixels.data(), 5, 4, PixelFormat::RGB, pixels.size()};
  for (Contrast c : {Contrast::Stretching, Contrast::EqualizeSkimage, Contrast::EqualizeOpenCv}) {
    RoboflowSteps steps;
    steps.contrast = c;
    const ImageSteps s = planSteps(image, steps);
    CHECK(s.useLut);
  }
  for (Contrast c : {Contrast::AdaptiveSkimage, Contrast::AdaptiveOpenCv}) {
    RoboflowSteps steps;
    steps.contrast = c;
    const ImageSteps s = planSteps(image, steps);
    CHECK(s.buffered() && s.buffer.size() == (c == Contrast::AdaptiveOpenCv ? 20u : 60u));
  }
}

}  // namespace

int main() {
  randomImages();
  flatTables();
  if (failures > 0) {
    std::fprintf(stderr, "preprocess_test: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("preprocess_test: all checks passed\n");
  return 0;
}
