#include "convert.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <string>

#include "errors.h"

namespace edge_addon {

namespace {

const char* kArg = "ERR_INVALID_ARGUMENT";

Napi::Object asObject(Napi::Env env, Napi::Value value, const std::string& what) {
  if (!value.IsObject()) throwError(env, kArg, "Expected an object for " + what);
  return value.As<Napi::Object>();
}

double numberAttr(Napi::Env env, Napi::Object obj, const char* key, const std::string& what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) throwError(env, kArg, std::string("Expected a number for ") + what + "." + key);
  return v.As<Napi::Number>().DoubleValue();
}

// Checked before any cast: NaN, infinities and values outside int are errors, not undefined behaviour.
int intAttr(Napi::Env env, Napi::Object obj, const char* key, const std::string& what) {
  const double d = numberAttr(env, obj, key, what);
  if (!(d >= static_cast<double>(INT_MIN) && d <= static_cast<double>(INT_MAX)) || d != std::floor(d)) {
    throwError(env, kArg, std::string("Expected an integer for ") + what + "." + key);
  }
  return static_cast<int>(d);
}

// A whole number from 0 to 2^53 (exact in a double).
uint64_t countAttr(Napi::Env env, Napi::Object obj, const char* key, const std::string& what) {
  const double d = numberAttr(env, obj, key, what);
  if (!(d >= 0 && d <= 9007199254740992.0) || d != std::floor(d)) {
    throwError(env, kArg, std::string("Expected a whole number >= 0 for ") + what + "." + key);
  }
  return static_cast<uint64_t>(d);
}

std::string stringAttr(Napi::Env env, Napi::Object obj, const char* key, const std::string& what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsString()) throwError(env, kArg, std::string("Expected a string for ") + what + "." + key);
  return v.As<Napi::String>().Utf8Value();
}

std::array<float, 3> triple(Napi::Env env, Napi::Object obj, const char* key) {
  Napi::Value v = obj.Get(key);
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 3) {
    throwError(env, kArg, std::string("Expected an array of 3 numbers for config.") + key);
  }
  Napi::Array a = v.As<Napi::Array>();
  std::array<float, 3> out{};
  for (uint32_t i = 0; i < 3; ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) throwError(env, kArg, std::string("Expected numbers in config.") + key);
    out[i] = e.As<Napi::Number>().FloatValue();
  }
  return out;
}

edge::PixelFormat parseFormat(Napi::Env env, const std::string& format) {
  if (format == "gray") return edge::PixelFormat::Gray;
  if (format == "rgb") return edge::PixelFormat::RGB;
  if (format == "bgr") return edge::PixelFormat::BGR;
  if (format == "rgba") return edge::PixelFormat::RGBA;
  if (format == "bgra") return edge::PixelFormat::BGRA;
  throwError(env, kArg, "Unknown pixel format '" + format + "'");
}

}  // namespace

std::vector<edge::ImageView> readFrames(Napi::Env env, Napi::Value frames) {
  if (!frames.IsArray()) throwError(env, kArg, "Expected an array of frames");
  Napi::Array array = frames.As<Napi::Array>();
  std::vector<edge::ImageView> views;
  views.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const std::string what = "frames[" + std::to_string(i) + "]";
    Napi::Object frame = asObject(env, array.Get(i), what);
    Napi::Value data = frame.Get("data");
    if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throwError(env, kArg, "Expected a Uint8Array or Buffer for " + what + ".data");
    }
    Napi::Uint8Array bytes = data.As<Napi::Uint8Array>();
    edge::ImageView view;
    view.data = bytes.Data();
    view.byteLength = bytes.ByteLength();
    view.width = intAttr(env, frame, "width", what);
    view.height = intAttr(env, frame, "height", what);
    view.format = parseFormat(env, stringAttr(env, frame, "format", what));
    if (frame.Has("disabled") && !frame.Get("disabled").IsUndefined()) {
      const int disabled = intAttr(env, frame, "disabled", what);
      if (disabled < 0 || disabled > 7) throwError(env, kArg, what + ".disabled must be a bit mask from 0 to 7");
      view.disabled = static_cast<uint8_t>(disabled);
    }
    views.push_back(view);
  }
  return views;
}

std::vector<edge::EncodedView> readEncoded(Napi::Env env, Napi::Value images) {
  if (!images.IsArray()) throwError(env, kArg, "Expected an array of encoded images");
  Napi::Array array = images.As<Napi::Array>();
  std::vector<edge::EncodedView> views;
  views.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value v = array.Get(i);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throwError(env, kArg, "Expected a Uint8Array or Buffer for images[" + std::to_string(i) + "]");
    }
    Napi::Uint8Array bytes = v.As<Napi::Uint8Array>();
    views.push_back(edge::EncodedView{bytes.Data(), bytes.ByteLength()});
  }
  return views;
}

// { crop?: [xMin, yMin, xMax, yMax] (percent), grayscale, contrast, contrastFirst } -> edge::RoboflowSteps.
edge::RoboflowSteps readSteps(Napi::Env env, Napi::Value value) {
  Napi::Object obj = asObject(env, value, "config.steps");
  edge::RoboflowSteps steps;
  if (obj.Has("crop") && !obj.Get("crop").IsUndefined()) {
    Napi::Value crop = obj.Get("crop");
    if (!crop.IsArray() || crop.As<Napi::Array>().Length() != 4) throwError(env, kArg, "config.steps.crop must be [xMin, yMin, xMax, yMax]");
    Napi::Array bounds = crop.As<Napi::Array>();
    double* targets[4] = {&steps.xMin, &steps.yMin, &steps.xMax, &steps.yMax};
    for (uint32_t i = 0; i < 4; ++i) {
      if (!bounds.Get(i).IsNumber()) throwError(env, kArg, "config.steps.crop must hold numbers");
      *targets[i] = bounds.Get(i).As<Napi::Number>().DoubleValue();
    }
    steps.crop = true;
  }
  steps.grayscale = obj.Has("grayscale") && obj.Get("grayscale").ToBoolean();
  steps.contrastFirst = obj.Has("contrastFirst") && obj.Get("contrastFirst").ToBoolean();
  const std::string contrast = obj.Has("contrast") && !obj.Get("contrast").IsUndefined() ? stringAttr(env, obj, "contrast", "config.steps") : "none";
  if (contrast == "none") steps.contrast = edge::Contrast::None;
  else if (contrast == "stretching") steps.contrast = edge::Contrast::Stretching;
  else if (contrast == "equalize-skimage") steps.contrast = edge::Contrast::EqualizeSkimage;
  else if (contrast == "equalize-opencv") steps.contrast = edge::Contrast::EqualizeOpenCv;
  else if (contrast == "adaptive-skimage") steps.contrast = edge::Contrast::AdaptiveSkimage;
  else if (contrast == "adaptive-opencv") steps.contrast = edge::Contrast::AdaptiveOpenCv;
  else throwError(env, kArg, "Unknown contrast step '" + contrast + "'");
  return steps;
}

edge::ClassifierConfig readConfig(Napi::Env env, Napi::Value value) {
  Napi::Object obj = asObject(env, value, "config");
  edge::ClassifierConfig config;
  edge::PreprocessSpec& spec = config.spec;
  spec.width = intAttr(env, obj, "width", "config");
  spec.height = intAttr(env, obj, "height", "config");
  const std::string resize = stringAttr(env, obj, "resize", "config");
  if (resize == "stretch") spec.mode = edge::ResizeMode::Stretch;
  else if (resize == "letterbox") spec.mode = edge::ResizeMode::Letterbox;
  else if (resize == "center-crop") spec.mode = edge::ResizeMode::CenterCrop;
  else if (resize == "crop") spec.mode = edge::ResizeMode::Crop;
  else throwError(env, kArg, "Unknown resize mode '" + resize + "'");
  if (obj.Has("rounding") && !obj.Get("rounding").IsUndefined()) {
    const std::string rounding = stringAttr(env, obj, "rounding", "config");
    if (rounding == "exact") spec.rounding = edge::LetterboxRounding::Exact;
    else if (rounding == "legacy") spec.rounding = edge::LetterboxRounding::Legacy;
    else if (rounding == "scale") spec.rounding = edge::LetterboxRounding::Scale;
    else throwError(env, kArg, "Unknown letterbox rounding '" + rounding + "'");
  }
  if (obj.Has("steps") && !obj.Get("steps").IsUndefined()) spec.steps = readSteps(env, obj.Get("steps"));
  if (obj.Has("interpolation") && !obj.Get("interpolation").IsUndefined()) {
    const std::string interpolation = stringAttr(env, obj, "interpolation", "config");
    if (interpolation != "float" && interpolation != "opencv-uint8") throwError(env, kArg, "Unknown interpolation '" + interpolation + "'");
    spec.uint8Resize = interpolation == "opencv-uint8";
  }
  const int pad = intAttr(env, obj, "pad", "config");
  if (pad < 0 || pad > 255) throwError(env, kArg, "config.pad must be between 0 and 255");
  spec.pad = static_cast<uint8_t>(pad);
  const std::string order = stringAttr(env, obj, "channelOrder", "config");
  if (order != "rgb" && order != "bgr") throwError(env, kArg, "config.channelOrder must be 'rgb' or 'bgr'");
  spec.order = order == "rgb" ? edge::ChannelOrder::RGB : edge::ChannelOrder::BGR;
  spec.mean = triple(env, obj, "mean");
  spec.stdev = triple(env, obj, "std");
  const std::string activation = stringAttr(env, obj, "activation", "config");
  if (activation == "softmax") config.activation = edge::Activation::Softmax;
  else if (activation == "sigmoid") config.activation = edge::Activation::Sigmoid;
  else if (activation == "none") config.activation = edge::Activation::None;
  else throwError(env, kArg, "Unknown activation '" + activation + "'");
  config.maxPixels = countAttr(env, obj, "maxPixels", "config");
  config.preprocessThreads = intAttr(env, obj, "preprocessThreads", "config");
  return config;
}

edge::BatchOptions readBatchOptions(Napi::Env env, Napi::Value value) {
  Napi::Object obj = asObject(env, value, "batching options");
  edge::BatchOptions options;
  options.maxBatchSize = intAttr(env, obj, "maxBatchSize", "batching");
  options.maxDelayMs = numberAttr(env, obj, "maxDelayMs", "batching");
  options.maxQueue = static_cast<size_t>(countAttr(env, obj, "maxQueue", "batching"));
  if (obj.Has("maxQueuedPixels") && !obj.Get("maxQueuedPixels").IsUndefined()) {
    options.maxQueuedPixels = countAttr(env, obj, "maxQueuedPixels", "batching");
  }
  if (obj.Has("combine") && !obj.Get("combine").IsUndefined()) {
    if (!obj.Get("combine").IsBoolean()) throwError(env, kArg, "batching.combine must be a boolean");
    options.combine = obj.Get("combine").As<Napi::Boolean>();
  }
  // ranges: Scheduler::startBatching
  return options;
}

Napi::Object scoresToJs(Napi::Env env, const edge::Scores& scores, bool withValues) {
  Napi::Object out = Napi::Object::New(env);
  if (withValues) {
    Napi::Float64Array values = Napi::Float64Array::New(env, scores.values.size());
    std::memcpy(values.Data(), scores.values.data(), scores.values.size() * sizeof(double));
    out.Set("scores", values);
  }
  out.Set("rows", scores.rows);
  out.Set("cols", scores.cols);
  out.Set("prepareMs", scores.prepareMs);
  out.Set("runMs", scores.runMs);
  return out;
}

}  // namespace edge_addon
