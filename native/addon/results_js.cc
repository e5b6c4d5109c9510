#include "results_js.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>

#include "errors.h"

namespace edge_addon {

namespace {

const char* kArg = "ERR_INVALID_ARGUMENT";

// What a labels handle holds.
struct LabelsBox {
  std::shared_ptr<const edge::ResultLabels> labels;
};

}  // namespace

Napi::Value makeLabels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throwError(env, kArg, "Expected an array of class names (JSON string literals)");
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throwError(env, kArg, "Expected an Int32Array key order");
  }
  Napi::Array names = info[0].As<Napi::Array>();
  std::vector<std::string> json;
  json.reserve(names.Length());
  for (uint32_t i = 0; i < names.Length(); ++i) {
    Napi::Value v = names.Get(i);
    if (!v.IsString()) throwError(env, kArg, "Expected class names as strings");
    json.push_back(v.As<Napi::String>().Utf8Value());
  }
  Napi::Int32Array order = info[1].As<Napi::Int32Array>();
  std::vector<int32_t> keyOrder(order.Data(), order.Data() + order.ElementLength());
  auto box = std::make_unique<LabelsBox>();
  std::string code, message;
  if (!captureErrors([&] { box->labels = edge::makeLabels(std::move(json), std::move(keyOrder)); }, code, message)) throwError(env, code, message);
  auto handle = Napi::External<LabelsBox>::New(env, box.get(), [](Napi::Env, LabelsBox* owned) { std::unique_ptr<LabelsBox> free(owned); });
  box.release();  // owned by the handle's finalizer
  return handle;
}

std::shared_ptr<const edge::ResultLabels> readLabels(Napi::Env env, Napi::Value handle) {
  if (!handle.IsExternal()) throwError(env, kArg, "Expected a labels handle (from labels())");
  return handle.As<Napi::External<LabelsBox>>().Data()->labels;
}

std::shared_ptr<const edge::ResultSpec> readResultSpec(Napi::Env env, Napi::Value value, std::shared_ptr<const edge::ResultLabels> labels) {
  if (value.IsUndefined() || value.IsNull()) return nullptr;
  if (!value.IsObject()) throwError(env, kArg, "Expected an object for the result spec");
  if (!labels) throwError(env, kArg, "the model has no class names set (setLabels) to build results with");
  Napi::Object o = value.As<Napi::Object>();
  auto spec = std::make_shared<edge::ResultSpec>();
  spec->labels = std::move(labels);
  spec->task = o.Get("multiLabel").ToBoolean() ? edge::ResultTask::MultiLabel : edge::ResultTask::SingleLabel;
  Napi::Value threshold = o.Get("threshold");
  if (!threshold.IsUndefined()) {
    if (!threshold.IsNumber()) throwError(env, kArg, "Expected a number for spec.threshold");
    spec->threshold = threshold.As<Napi::Number>().DoubleValue();
    spec->hasThreshold = true;
  } else if (spec->task == edge::ResultTask::MultiLabel) {
    throwError(env, kArg, "a multi-label result spec needs a threshold");
  }
  spec->fullPrecision = o.Get("fullPrecision").ToBoolean();
  Napi::Value topK = o.Get("topK");
  if (!topK.IsUndefined()) {
    const double k = topK.IsNumber() ? topK.As<Napi::Number>().DoubleValue() : -1;
    if (!(k >= 0 && k <= INT_MAX) || k != std::floor(k)) throwError(env, kArg, "Expected a whole number >= 0 for spec.topK");
    spec->topK = static_cast<int>(k);
  }
  spec->json = o.Get("json").ToBoolean();
  return spec;
}

Napi::Object resultsToJs(Napi::Env env, edge::PackedResults&& results) {
  Napi::Object out = Napi::Object::New(env);
  // one ArrayBuffer with the block's layout (results.h): one allocation and one copy per call
  const size_t bytes = results.block.size() * sizeof(uint64_t);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), results.block.data(), bytes);
  const size_t ints = results.entries * sizeof(double);
  const auto view = [&](const int32_t* at, size_t n) {
    return Napi::Int32Array::New(env, n, buffer, ints + static_cast<size_t>(at - results.ints()) * sizeof(int32_t));
  };
  out.Set("confidences", Napi::Float64Array::New(env, results.entries, buffer, 0));
  out.Set("counts", view(results.counts(), results.images));
  out.Set("classes", view(results.classes(), results.entries));
  if (results.multiLabel) {
    out.Set("predictedCounts", view(results.predictedCounts(), results.images));
    out.Set("predicted", view(results.predictedClasses(), results.predicted));
  }
  if (results.hasJson) {
    out.Set("jsonAt", view(results.jsonAt(), 3 * results.images));
    auto text = std::make_unique<std::string>(std::move(results.json));
    std::string* data = text.get();
    // zero-copy: the bytes stay in the string, freed with the Buffer
    Napi::Buffer<char> json = Napi::Buffer<char>::New(env, data->data(), data->size(), [](Napi::Env, char*, std::string* owned) { std::unique_ptr<std::string> free(owned); }, data);
    text.release();
    out.Set("json", json);
  }
  return out;
}

Napi::Value buildResults(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) throwError(env, kArg, "Expected a Float64Array of scores");
  if (!info[1].IsNumber()) throwError(env, kArg, "Expected the number of classes");
  Napi::Float64Array scores = info[0].As<Napi::Float64Array>();
  const double colsValue = info[1].As<Napi::Number>().DoubleValue();
  if (!(colsValue >= 1 && colsValue <= INT_MAX) || colsValue != std::floor(colsValue) || scores.ElementLength() % static_cast<size_t>(colsValue) != 0) {
    throwError(env, kArg, "the scores must be whole rows of cols >= 1 values");
  }
  const int cols = static_cast<int>(colsValue);
  const auto spec = readResultSpec(env, info[3], readLabels(env, info[2]));
  if (!spec) throwError(env, kArg, "Expected a result spec");
  std::vector<edge::ImageResult> results;
  std::string code, message;
  const bool ok = captureErrors([&] {
    for (size_t r = 0; r < scores.ElementLength() / static_cast<size_t>(cols); ++r) results.push_back(edge::buildResult(scores.Data() + r * static_cast<size_t>(cols), cols, *spec));
  }, code, message);
  if (!ok) throwError(env, code, message);
  edge::PackedResults packed;
  if (!captureErrors([&] { packed = edge::pack(std::move(results), spec->task == edge::ResultTask::MultiLabel); }, code, message)) throwError(env, code, message);
  return resultsToJs(env, std::move(packed));
}

}  // namespace edge_addon
