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

}  // namespace

Napi::Function NativeModel::define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {
                         InstanceMethod<&NativeModel::enqueue>("enqueue"),
                         InstanceMethod<&NativeModel::startQueue>("startQueue"),
                         InstanceMethod<&NativeModel::queueStats>("queueStats"),
                         InstanceMethod<&NativeModel::gpuMemory>("gpuMemory"),
                         InstanceMethod<&NativeModel::preprocess>("preprocess"),
                         InstanceMethod<&NativeModel::infer>("infer"),
                         InstanceMethod<&NativeModel::runTokens>("runTokens"),
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

// enqueue(images, encoded) -> [Promise<scores>, cancel]: through the model's batcher.
Napi::Value NativeModel::enqueue(const Napi::CallbackInfo& info) {
  live(info.Env());
  if (!queue_) throwError(info.Env(), "ERR_INVALID_ARGUMENT", "startQueue() was not called");
  return queue_->submit(info.Env(), info[0], info[1].ToBoolean(), Value());
}

void NativeModel::startQueue(const Napi::CallbackInfo& info) {
  auto classifier = live(info.Env());
  edge::BatchOptions options = readBatchOptions(info.Env(), info[0]);
  if (options.executors == 0) options.executors = classifier->backend().concurrency();
  std::string code, message;
  if (!captureErrors([&] { queue_ = std::make_unique<RequestQueue>(info.Env(), classifier, options); }, code, message)) {
    throwError(info.Env(), code, message);
  }
}

Napi::Value NativeModel::gpuMemory(const Napi::CallbackInfo& info) {
  if (!classifier_) return info.Env().Null();
  const auto memory = classifier_->backend().deviceMemory();
  if (!memory) return info.Env().Null();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("freeBytes", static_cast<double>(memory->first));
  out.Set("totalBytes", static_cast<double>(memory->second));
  return out;
}

Napi::Value NativeModel::queueStats(const Napi::CallbackInfo& info) {
  if (!queue_) return info.Env().Null();
  return queue_->stats(info.Env());
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

// runTokens(ids: Int32Array, n) -> Promise<{ scores, rows, cols }>: a token model's raw outputs.
Napi::Value NativeModel::runTokens(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto classifier = live(env);
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throwError(env, "ERR_INVALID_ARGUMENT", "Expected an Int32Array of token ids");
  }
  if (!info[1].IsNumber()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected a row count");
  Napi::Int32Array ids = info[0].As<Napi::Int32Array>();
  const int n = info[1].As<Napi::Number>().Int32Value();
  if (n < 1 || ids.ElementLength() % static_cast<size_t>(n) != 0) {
    throwError(env, "ERR_INVALID_ARGUMENT", "the token array does not hold whole rows");
  }
  const int32_t* data = ids.Data();
  const int length = static_cast<int>(ids.ElementLength() / static_cast<size_t>(n));
  auto result = std::make_shared<edge::Scores>();
  return PromiseWorker::start(
      env, [classifier, data, n, length, result] { *result = classifier->runTokens(data, n, length); },
      [result](Napi::Env env) { return scoresToJs(env, *result); }, {info[0]});
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

void NativeModel::dispose(const Napi::CallbackInfo&) {
  // Queued requests reject with ERR_DISPOSED; a running batch finishes (the batcher holds the classifier).
  if (queue_) queue_->close();
  classifier_.reset();
}

Napi::Value NativeModel::metadata(const Napi::CallbackInfo& info) {
  return metadata_.empty() ? info.Env().Null() : Napi::String::New(info.Env(), metadata_);
}

Napi::Value NativeModel::backendName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), backend_); }

Napi::Value NativeModel::device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_); }

}  // namespace edge_addon
