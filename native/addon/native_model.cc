#include "native_model.h"

#include <cstring>

#include "convert.h"
#include "errors.h"
#include "promise_worker.h"

namespace edge_addon {

namespace {

Napi::Float32Array floatsToJs(Napi::Env env, const std::vector<float>& values) {
  Napi::Float32Array out = Napi::Float32Array::New(env, values.size());
  std::memcpy(out.Data(), values.data(), values.size() * sizeof(float));
  return out;
}

Napi::Object scoresToJs(Napi::Env env, const edge::Scores& scores) {
  Napi::Float64Array values = Napi::Float64Array::New(env, scores.values.size());
  std::memcpy(values.Data(), scores.values.data(), scores.values.size() * sizeof(double));
  Napi::Object out = Napi::Object::New(env);
  out.Set("scores", values);
  out.Set("rows", scores.rows);
  out.Set("cols", scores.cols);
  out.Set("prepareMs", scores.prepareMs);
  out.Set("nativeMs", scores.totalMs);
  return out;
}

}  // namespace

Napi::Function NativeModel::define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {
                         InstanceMethod<&NativeModel::classify>("classify"),
                         InstanceMethod<&NativeModel::preprocess>("preprocess"),
                         InstanceMethod<&NativeModel::infer>("infer"),
                         InstanceMethod<&NativeModel::classifyEncoded>("classifyEncoded"),
                         InstanceMethod<&NativeModel::preprocessEncoded>("preprocessEncoded"),
                         InstanceAccessor<&NativeModel::gpuDecode>("gpuDecode"),
                         InstanceMethod<&NativeModel::configure>("configure"),
                         InstanceMethod<&NativeModel::dispose>("dispose"),
                         InstanceAccessor<&NativeModel::metadata>("metadata"),
                         InstanceAccessor<&NativeModel::backendName>("backend"),
                         InstanceAccessor<&NativeModel::device>("device"),
                     });
}

NativeModel::NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {}

void NativeModel::attach(std::shared_ptr<edge::Classifier> classifier, std::string metadata) {
  backend_ = classifier->backend().name();
  device_ = classifier->backend().device();
  gpuDecode_ = classifier->backend().gpuDecode();
  classifier_ = std::move(classifier);
  metadata_ = std::move(metadata);
}

std::shared_ptr<edge::Classifier> NativeModel::live(Napi::Env env) const {
  if (!classifier_) throwError(env, "ERR_DISPOSED", "the model was disposed; load it again to classify");
  return classifier_;
}

Napi::Value NativeModel::classify(const Napi::CallbackInfo& info) {
  auto classifier = live(info.Env());
  auto views = readFrames(info.Env(), info[0]);
  auto result = std::make_shared<edge::Scores>();
  return PromiseWorker::start(
      info.Env(), [classifier, views, result] { *result = classifier->classify(views); },
      [result](Napi::Env env) { return scoresToJs(env, *result); }, {info[0]});
}

Napi::Value NativeModel::preprocess(const Napi::CallbackInfo& info) {
  auto classifier = live(info.Env());
  auto views = readFrames(info.Env(), info[0]);
  auto tensor = std::make_shared<std::vector<float>>();
  return PromiseWorker::start(
      info.Env(), [classifier, views, tensor] { *tensor = classifier->preprocess(views); },
      [tensor](Napi::Env env) -> Napi::Value { return floatsToJs(env, *tensor); }, {info[0]});
}

Napi::Value NativeModel::infer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto classifier = live(env);
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throwError(env, "ERR_INVALID_ARGUMENT", "Expected a Float32Array tensor");
  }
  if (!info[1].IsNumber()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected a batch size");
  Napi::Float32Array tensor = info[0].As<Napi::Float32Array>();
  const float* data = tensor.Data();
  const size_t length = tensor.ElementLength();
  const int n = info[1].As<Napi::Number>().Int32Value();
  auto result = std::make_shared<edge::Scores>();
  return PromiseWorker::start(
      env, [classifier, data, length, n, result] { *result = classifier->infer(data, length, n); },
      [result](Napi::Env env) { return scoresToJs(env, *result); }, {info[0]});
}

Napi::Value NativeModel::classifyEncoded(const Napi::CallbackInfo& info) {
  auto classifier = live(info.Env());
  auto images = readEncoded(info.Env(), info[0]);
  auto result = std::make_shared<edge::Scores>();
  auto sizes = std::make_shared<std::vector<std::pair<int, int>>>();
  return PromiseWorker::start(
      info.Env(), [classifier, images, result, sizes] { *result = classifier->classifyEncoded(images, sizes.get()); },
      [result, sizes](Napi::Env env) -> Napi::Value {
        Napi::Object out = scoresToJs(env, *result);
        Napi::Int32Array dims = Napi::Int32Array::New(env, sizes->size() * 2);
        for (size_t i = 0; i < sizes->size(); ++i) {
          dims[2 * i] = (*sizes)[i].first;
          dims[2 * i + 1] = (*sizes)[i].second;
        }
        out.Set("sizes", dims);
        return out;
      },
      {info[0]});
}

Napi::Value NativeModel::preprocessEncoded(const Napi::CallbackInfo& info) {
  auto classifier = live(info.Env());
  auto images = readEncoded(info.Env(), info[0]);
  auto tensor = std::make_shared<std::vector<float>>();
  return PromiseWorker::start(
      info.Env(), [classifier, images, tensor] { *tensor = classifier->preprocessEncoded(images); },
      [tensor](Napi::Env env) -> Napi::Value { return floatsToJs(env, *tensor); }, {info[0]});
}

Napi::Value NativeModel::gpuDecode(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), gpuDecode_); }

void NativeModel::configure(const Napi::CallbackInfo& info) {
  auto classifier = live(info.Env());
  const edge::ClassifierConfig config = readConfig(info.Env(), info[0]);
  std::string code, message;
  if (!captureErrors([&] { classifier->configure(config); }, code, message)) throwError(info.Env(), code, message);
}

void NativeModel::dispose(const Napi::CallbackInfo&) { classifier_.reset(); }

Napi::Value NativeModel::metadata(const Napi::CallbackInfo& info) {
  return metadata_.empty() ? info.Env().Null() : Napi::String::New(info.Env(), metadata_);
}

Napi::Value NativeModel::backendName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), backend_); }

Napi::Value NativeModel::device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_); }

}  // namespace edge_addon
