// A loaded model plus how to feed it: the compute steps a Scheduler runs.
// It knows no threads: only its model's Scheduler calls it, on that
// scheduler's lanes (see scheduler.h). configure() swaps an immutable config;
// calls in flight keep the config they started with.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "backend.h"
#include "image.h"
#include "postprocess.h"
#include "preprocess.h"

namespace edge {

struct ClassifierConfig {
  PreprocessSpec spec;
  Activation activation = Activation::Softmax;
  uint64_t maxPixels = 0x3FFF * 0x3FFF;  // per image; 0 = no limit (sharp's limitInputPixels default)
  int preprocessThreads = 0;             // 0 = hardware concurrency
};

struct Scores {
  std::vector<double> values;  // rows*cols confidences after the activation
  int rows = 0;
  int cols = 0;
  double prepareMs = 0;  // host time preparing the input (see Outputs)
  double runMs = 0;      // the backend running the batch: prepareMs, then inference and the activation
};

class Classifier {
 public:
  explicit Classifier(std::unique_ptr<Backend> backend);

  void configure(const ClassifierConfig& config);
  std::shared_ptr<const ClassifierConfig> config() const;
  const Backend& backend() const { return *backend_; }
  Backend& backend() { return *backend_; }

  // Every call runs on the backend's lane `lane` (see backend.h), chosen by the scheduler.
  // Preprocesses and runs `images` as one batch.
  Scores classify(int lane, const std::vector<ImageView>& images) const;
  // Decodes JPEGs on the GPU, then as classify(); `sizes` gets each decoded width/height.
  Scores classifyEncoded(int lane, const std::vector<EncodedView>& images, std::vector<std::pair<int, int>>* sizes) const;
  std::vector<float> preprocessEncoded(int lane, const std::vector<EncodedView>& images) const;
  // Preprocessing alone: n*3*H*W floats, NCHW.
  std::vector<float> preprocess(int lane, const std::vector<ImageView>& images) const;
  // Inference alone on an already preprocessed NCHW tensor of `n` images.
  Scores infer(int lane, const float* tensor, size_t length, int n) const;
  // A token model (CLIP's text encoder): n rows of `length` ids -> raw outputs (no activation).
  Scores runTokens(int lane, const int32_t* tokens, int n, int length) const;

 private:
  std::unique_ptr<Backend> backend_;
  mutable std::mutex configMutex_;
  std::shared_ptr<const ClassifierConfig> config_;
};

}  // namespace edge
