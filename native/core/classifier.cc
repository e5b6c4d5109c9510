#include "classifier.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "error.h"
#include "stopwatch.h"

namespace edge {

namespace {

void validateBatch(const std::vector<ImageView>& images, const ClassifierConfig& config) {
  if (images.empty()) throw Error(ErrorCode::InvalidArgument, "a batch needs at least one image");
  for (const ImageView& image : images) validateImage(image, config.maxPixels);
}

Scores toScores(const Outputs& outputs, Activation activation, const Stopwatch& since) {
  Scores scores;
  scores.rows = outputs.rows;
  scores.cols = outputs.cols;
  scores.values = activate(outputs.values, outputs.rows, outputs.cols, activation);
  scores.prepareMs = outputs.prepareMs;
  scores.runMs = since.ms();
  return scores;
}

}  // namespace

Classifier::Classifier(std::unique_ptr<Backend> backend)
    : backend_(std::move(backend)), config_(std::make_shared<ClassifierConfig>()) {}

void Classifier::configure(const ClassifierConfig& config) {
  validateSpec(config.spec);
  auto next = std::make_shared<const ClassifierConfig>(config);
  std::lock_guard<std::mutex> lock(configMutex_);
  config_ = std::move(next);
}

std::shared_ptr<const ClassifierConfig> Classifier::config() const {
  std::lock_guard<std::mutex> lock(configMutex_);
  return config_;
}

Scores Classifier::classify(int lane, const std::vector<ImageView>& images) const {
  const Stopwatch since;
  const auto config = this->config();
  validateBatch(images, *config);
  return toScores(backend_->runImages(lane, images, config->spec, config->preprocessThreads),
                  config->activation, since);
}

Scores Classifier::classifyEncoded(int lane, const std::vector<EncodedView>& images, std::vector<std::pair<int, int>>* sizes) const {
  const Stopwatch since;
  const auto config = this->config();
  if (images.empty()) throw Error(ErrorCode::InvalidArgument, "a batch needs at least one image");
  return toScores(backend_->runEncoded(lane, images, config->spec, config->maxPixels, sizes),
                  config->activation, since);
}

std::vector<float> Classifier::preprocessEncoded(int lane, const std::vector<EncodedView>& images) const {
  const auto config = this->config();
  if (images.empty()) throw Error(ErrorCode::InvalidArgument, "a batch needs at least one image");
  return backend_->preprocessEncoded(lane, images, config->spec, config->maxPixels);
}

std::vector<float> Classifier::preprocess(int lane, const std::vector<ImageView>& images) const {
  const auto config = this->config();
  validateBatch(images, *config);
  return backend_->preprocessImages(lane, images, config->spec, config->preprocessThreads);
}

Scores Classifier::infer(int lane, const float* tensor, size_t length, int n) const {
  const Stopwatch since;
  const auto config = this->config();
  const PreprocessSpec& spec = config->spec;
  if (n < 1 || length != static_cast<size_t>(n) * spec.imageSize()) {
    throw Error(ErrorCode::InvalidArgument, "tensor of " + std::to_string(length) + " floats does not hold " +
                                                std::to_string(n) + " image(s) of 3x" + std::to_string(spec.height) +
                                                "x" + std::to_string(spec.width));
  }
  const Outputs outputs =
      backend_->run(lane, n, spec.height, spec.width, [&](float* input) { std::memcpy(input, tensor, length * sizeof(float)); });
  return toScores(outputs, config->activation, since);
}

Scores Classifier::runTokens(int lane, const int32_t* tokens, int n, int length) const {
  const Stopwatch since;
  if (n < 1 || length < 1) throw Error(ErrorCode::InvalidArgument, "token input needs at least one row of one token");
  return toScores(backend_->runTokens(lane, tokens, n, length), Activation::None, since);
}

}  // namespace edge
