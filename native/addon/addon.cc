// Module entry: registers NativeModel and the free functions. Context-aware:
// every environment (main thread or worker_thread) gets its own constructor.
#include <napi.h>

#include <memory>

#include "../core/batcher.h"
#include "../core/executor.h"
#include "../core/loader.h"
#include "../core/tensorrt/library.h"
#include "../core/torch_backend.h"
#include "convert.h"
#include "errors.h"
#include "native_model.h"
#include "promise_worker.h"

namespace edge_addon {

namespace {

struct AddonData {
  Napi::FunctionReference modelConstructor;
};

edge::BackendOptions readLoadOptions(Napi::Env env, Napi::Value value) {
  edge::BackendOptions options;
  if (value.IsUndefined()) return options;
  if (!value.IsObject()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected an object for options");
  Napi::Object obj = value.As<Napi::Object>();
  if (obj.Has("device") && obj.Get("device").IsString()) options.device = obj.Get("device").As<Napi::String>();
  if (obj.Has("backend") && obj.Get("backend").IsString()) options.backend = obj.Get("backend").As<Napi::String>();
  if (obj.Has("calibration") && obj.Get("calibration").IsTypedArray()) {
    Napi::Float32Array data = obj.Get("calibration").As<Napi::Float32Array>();
    options.calibration.assign(data.Data(), data.Data() + data.ElementLength());  // copied: the build runs later, elsewhere
    options.calibrationImages = obj.Get("calibrationImages").As<Napi::Number>().Int32Value();
  }
  if (obj.Has("maxBatchSize") && obj.Get("maxBatchSize").IsNumber()) options.maxBatchSize = obj.Get("maxBatchSize").As<Napi::Number>();
  if (obj.Has("workspaceMb") && obj.Get("workspaceMb").IsNumber()) {
    options.workspaceBytes = static_cast<size_t>(obj.Get("workspaceMb").As<Napi::Number>().DoubleValue() * 1048576.0);
  }
  if (obj.Has("threads") && obj.Get("threads").IsNumber()) options.threads = obj.Get("threads").As<Napi::Number>();
  if (obj.Has("optimize") && obj.Get("optimize").IsBoolean()) options.optimize = obj.Get("optimize").As<Napi::Boolean>();
  if (obj.Has("precision") && obj.Get("precision").IsString()) {
    const std::string precision = obj.Get("precision").As<Napi::String>();
    if (precision != "fp32" && precision != "fp16" && precision != "int8") {
      throwError(env, "ERR_INVALID_ARGUMENT", "precision must be 'fp32', 'fp16' or 'int8'");
    }
    options.precision = precision == "fp16" ? edge::Precision::FP16 : precision == "int8" ? edge::Precision::INT8 : edge::Precision::FP32;
  }
  if (obj.Has("cudaGraphs") && obj.Get("cudaGraphs").IsBoolean()) options.cudaGraphs = obj.Get("cudaGraphs").As<Napi::Boolean>();
  if (obj.Has("cudaStreams") && obj.Get("cudaStreams").IsNumber()) options.cudaStreams = obj.Get("cudaStreams").As<Napi::Number>();
  if (obj.Has("channelsLast") && obj.Get("channelsLast").IsBoolean()) {
    options.channelsLast = obj.Get("channelsLast").As<Napi::Boolean>();
  }
  return options;
}

// loadModel(path, { device, threads, optimize }) -> Promise<NativeModel>
Napi::Value loadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected a model path string");
  const std::string path = info[0].As<Napi::String>();
  const edge::BackendOptions options = readLoadOptions(env, info[1]);
  auto loaded = std::make_shared<edge::LoadedModel>();
  return PromiseWorker::start(
      // on the torch thread (see executor.h): libtorch's CPU work of a process stays on one thread
      env, [path, options, loaded] { *loaded = edge::torchThread().call([&] { return edge::loadModel(path, options); }); },
      [loaded](Napi::Env env) -> Napi::Value {
        Napi::Object object = env.GetInstanceData<AddonData>()->modelConstructor.New({});
        NativeModel::Unwrap(object)->attach(std::make_shared<edge::Classifier>(std::move(loaded->backend)),
                                            std::move(loaded->metadataJson));
        return object;
      });
}

// preprocess(frames, config) -> Promise<Float32Array>: the CPU preprocessing without a model (used to
// prepare TensorRT int8 calibration images before the model exists).
Napi::Value preprocessFrames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto views = readFrames(env, info[0]);
  const edge::ClassifierConfig config = readConfig(env, info[1]);
  auto tensor = std::make_shared<std::vector<float>>();
  return PromiseWorker::start(
      env,
      [views, config, tensor] {
        for (const edge::ImageView& view : views) edge::validateImage(view, config.maxPixels);
        tensor->resize(views.size() * config.spec.imageSize());
        edge::preprocessBatch(views, config.spec, tensor->data(), config.preprocessThreads);
      },
      [tensor](Napi::Env env) -> Napi::Value {
        Napi::Float32Array out = Napi::Float32Array::New(env, tensor->size());
        std::copy(tensor->begin(), tensor->end(), out.Data());
        return out;
      },
      {info[0]});
}

// buildInfo() -> what this binary was built with and can use right now.
Napi::Value buildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("torch", edge::torchVersion());
  out.Set("cuda", edge::cudaBuilt());
  out.Set("nvjpeg", edge::nvjpegBuilt());
  out.Set("cudaAvailable", edge::torchCudaAvailable());
  const edge::TensorRtLibrary& trt = edge::tensorRt();
  out.Set("tensorrt", edge::tensorRtBuilt());
  out.Set("tensorrtAvailable", trt.available);
  out.Set("tensorrtVersion", trt.available ? Napi::Value(Napi::String::New(env, edge::tensorRtVersionString(trt.version))) : env.Null());
  if (!trt.available) out.Set("tensorrtError", trt.error);
  Napi::Array backends = Napi::Array::New(env);
  backends.Set(0u, "torch");
  if (edge::tensorRtBuilt()) backends.Set(1u, "tensorrt");
  out.Set("backends", backends);
  return out;
}

// shutdown(): for a process about to exit (called on 'exit' of the main thread): lets running batches
// finish, fails queued requests and stops the torch thread, so that no model work runs while the
// C++ runtime tears libtorch down.
void shutdown(const Napi::CallbackInfo&) {
  edge::stopAllBatchers();
  edge::torchThread().stop();
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto data = std::make_unique<AddonData>();
  data->modelConstructor = Napi::Persistent(NativeModel::define(env));
  exports.Set("NativeModel", data->modelConstructor.Value());
  env.SetInstanceData<AddonData>(data.release());  // freed by Node when the environment ends
  exports.Set("loadModel", Napi::Function::New<loadModel>(env, "loadModel"));
  exports.Set("buildInfo", Napi::Function::New<buildInfo>(env, "buildInfo"));
  exports.Set("shutdown", Napi::Function::New<shutdown>(env, "shutdown"));
  exports.Set("preprocess", Napi::Function::New<preprocessFrames>(env, "preprocess"));
  return exports;
}

}  // namespace edge_addon

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return edge_addon::init(env, exports); }

NODE_API_MODULE(edge_classify, Init)
