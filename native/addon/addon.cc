// Module entry: registers NativeModel and the free functions. Context-aware:
// every environment (main thread or worker_thread) gets its own constructor,
// completion channel and list of the schedulers it created.
#include <napi.h>

#include <algorithm>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <condition_variable>
#include <mutex>
#include <memory>
#include <vector>

#include "../core/cpu_allocator.h"
#include "../core/executor.h"
#include "../core/js_thread.h"
#include "../core/loader.h"
#include "../core/scheduler.h"
#include "../core/onnxruntime/library.h"
#include "../core/tensorrt/build_progress.h"
#include "../core/tensorrt/library.h"
#include "results_js.h"
#include "../core/team_governor.h"
#include "../core/thread_policy.h"
#include "../core/torch_backend.h"
#include "convert.h"
#include "errors.h"
#include "js_channel.h"
#include "native_model.h"
#include "promise_worker.h"

namespace edge_addon {

namespace {

// Loads of one environment on the torch thread; shared with the load tasks, which may outlive it.
struct Loads {
  std::mutex mutex;
  std::condition_variable idle;
  bool closing = false;  // the environment is ending: loads that have not started are skipped
  int running = 0;
};

struct AddonData {
  Napi::FunctionReference modelConstructor;
  std::shared_ptr<JsChannel> channel;
  std::shared_ptr<Loads> loads = std::make_shared<Loads>();
  std::vector<std::weak_ptr<edge::Scheduler>> schedulers;  // JS thread only
  edge::JsThreadSlice jsSlice;                             // what this environment's JS thread asked the kernel for

  void track(const std::shared_ptr<edge::Scheduler>& scheduler) {
    schedulers.erase(std::remove_if(schedulers.begin(), schedulers.end(), [](const auto& w) { return w.expired(); }),
                     schedulers.end());
    schedulers.push_back(scheduler);
  }
  // The process is exiting (main thread): queued requests fail, running batches finish.
  void closeForExit() {
    for (const auto& weak : schedulers) {
      if (auto scheduler = weak.lock()) scheduler->closeForExit();
    }
  }
  // The environment is ending (a worker terminated, or the process exiting under it): nothing of it
  // may run on after its buffers are gone or while the process tears libtorch down. Loads not
  // started are skipped, a running one is waited for, and every model is freed now, on its lane.
  void end() {
    {
      std::unique_lock<std::mutex> lock(loads->mutex);
      loads->closing = true;
      loads->idle.wait(lock, [this] { return loads->running == 0; });
    }
    for (const auto& weak : schedulers) {
      if (auto scheduler = weak.lock()) scheduler->disposeAndWait();
    }
  }
};

AddonData& dataOf(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

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

// A load on the torch thread, settled on the JS thread with a NativeModel around a new scheduler.
class Loaded final : public Completion {
 public:
  explicit Loaded(Napi::Env env) : deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  edge::LoadedModel model;
  std::string code, message;

  void settle(Napi::Env env) override {
    if (code.empty()) {
      captureErrors(
          [&] {
            auto scheduler = edge::Scheduler::create(std::make_unique<edge::Classifier>(std::move(model.backend)));
            dataOf(env).track(scheduler);
            Napi::Object object = dataOf(env).modelConstructor.New({});
            NativeModel::Unwrap(object)->attach(std::move(scheduler), dataOf(env).channel, std::move(model.metadataJson));
            deferred_.Resolve(object);
          },
          code, message);
      if (code.empty()) return;
    }
    deferred_.Reject(makeError(env, code, message).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
};

// loadModel(path, options) -> Promise<NativeModel>: loads on the torch thread (all libtorch CPU work
// of the process runs there, see executor.h); no libuv thread waits for it.
Napi::Value loadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected a model path string");
  const std::string path = info[0].As<Napi::String>();
  const edge::BackendOptions options = readLoadOptions(env, info[1]);
  auto loaded = std::make_unique<Loaded>(env);
  Napi::Promise promise = loaded->promise();
  std::shared_ptr<JsChannel> channel = dataOf(env).channel;
  std::shared_ptr<Loads> loads = dataOf(env).loads;
  Loaded* raw = loaded.release();  // owned by the task from here on (left to the process if it never runs)
  const bool posted = edge::torchThread().post([raw, path, options, channel, loads] {
    {
      std::lock_guard<std::mutex> lock(loads->mutex);
      if (loads->closing) return;  // its environment is gone
      loads->running += 1;
    }
    captureErrors([&] { raw->model = edge::loadModel(path, options); }, raw->code, raw->message);
    channel->send(std::unique_ptr<Completion>(raw));
    std::lock_guard<std::mutex> lock(loads->mutex);
    loads->running -= 1;
    loads->idle.notify_all();
  });
  if (!posted) {
    const std::unique_ptr<Loaded> refused(raw);
    throwError(env, "ERR_DISPOSED", "the process is exiting");
  }
  channel->expect(env);
  return promise;
}

// preprocess(frames, config) -> Promise<Float32Array>: the CPU preprocessing without a model (used to
// prepare TensorRT int8 calibration images before the model exists). Bounded work on libuv's pool.
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

// setOnnxRuntimeCandidates(files): where ONNX Runtime's library may be (the JS side resolves
// onnxruntime-node's), before the first use opens it.
Napi::Value setOnnxRuntimeCandidates(const Napi::CallbackInfo& info) {
  std::vector<std::string> files;
  if (info.Length() > 0 && info[0].IsArray()) {
    const Napi::Array list = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      if (list.Get(i).IsString()) files.push_back(list.Get(i).As<Napi::String>().Utf8Value());
    }
  }
  edge::setOnnxRuntimeCandidates(std::move(files));
  return info.Env().Undefined();
}

// tensorrtReady() -> buildInfo()'s tensorrt && tensorrtAvailable && cudaAvailable, without opening
// the other libraries buildInfo() reports on (the model loader asks it on every load).
Napi::Value tensorRtReady(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), edge::tensorRtBuilt() && edge::tensorRt().available && edge::torchCudaAvailable());
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
  out.Set("tensorrtLibrary", trt.library.empty() ? env.Null() : Napi::Value(Napi::String::New(env, trt.library)));
  out.Set("tensorrtBuiltMajor", edge::tensorRtBuiltMajor() ? Napi::Value(Napi::Number::New(env, edge::tensorRtBuiltMajor())) : env.Null());
  const edge::OnnxRuntimeLibrary& ort = edge::onnxRuntime();
  out.Set("onnxruntime", edge::onnxRuntimeBuilt());
  out.Set("onnxruntimeApiVersion", edge::onnxRuntimeApiVersion() ? Napi::Value(Napi::Number::New(env, edge::onnxRuntimeApiVersion())) : env.Null());
  const bool ortReady = ort.available && edge::onnxRuntimeBuilt();
  out.Set("onnxruntimeAvailable", ortReady);
  out.Set("onnxruntimeVersion", ort.version.empty() ? env.Null() : Napi::Value(Napi::String::New(env, ort.version)));
  out.Set("onnxruntimeLibrary", ort.library.empty() ? env.Null() : Napi::Value(Napi::String::New(env, ort.library)));
  if (!ortReady) out.Set("onnxruntimeError", edge::onnxRuntimeUnavailable());
  Napi::Array backends = Napi::Array::New(env);
  backends.Set(backends.Length(), "torch");
  if (edge::onnxRuntimeBuilt()) backends.Set(backends.Length(), "onnxruntime");
  if (edge::tensorRtBuilt()) backends.Set(backends.Length(), "tensorrt");
  out.Set("backends", backends);
  const edge::CpuCacheInfo cache = edge::cpuCacheInfo();
  Napi::Object cpuCache = Napi::Object::New(env);
  cpuCache.Set("enabled", cache.enabled);
  cpuCache.Set("from", cache.from);
  cpuCache.Set("capBytes", static_cast<double>(cache.stats.capBytes));
  cpuCache.Set("cachedBytes", static_cast<double>(cache.stats.cachedBytes));
  cpuCache.Set("liveBytes", static_cast<double>(cache.stats.liveBytes));
  cpuCache.Set("hits", static_cast<double>(cache.stats.hits));
  cpuCache.Set("misses", static_cast<double>(cache.stats.misses));
  out.Set("cpuCache", cpuCache);
  const edge::ThreadPolicy& policy = edge::threadPolicy();
  Napi::Object threads = Napi::Object::New(env);
  threads.Set("cores", policy.cores);
  threads.Set("coresFrom", policy.coresFrom);
  threads.Set("threads", policy.threads);
  threads.Set("threadsFrom", policy.threadsFrom);
  threads.Set("niceness", policy.niceness);
  threads.Set("nicenessFrom", policy.nicenessFrom);
  threads.Set("quietNiceness", policy.quietNiceness);
  threads.Set("quietNicenessFrom", policy.quietNicenessFrom);
  threads.Set("waitPolicy", policy.waitPolicy.empty() ? "default" : policy.waitPolicy);
  const edge::JsThreadSlice& slice = dataOf(env).jsSlice;
  threads.Set("jsSliceUs", slice.microseconds);
  threads.Set("jsSliceFrom", slice.from);
  const edge::TeamState team = edge::teamGovernor().state();
  threads.Set("adaptive", team.adaptive);
  threads.Set("team", team.size);
  threads.Set("takenCores", team.takenCores);
  threads.Set("idleCores", team.idleCores);
  threads.Set("teamChanges", static_cast<double>(team.changes));
  threads.Set("quietLane", team.quietLane);
  threads.Set("lane", team.lane == edge::kQuietLane ? "quiet" : "normal");
  threads.Set("othersCores", team.othersCores >= 0 ? Napi::Value(Napi::Number::New(env, team.othersCores)) : env.Null());
  threads.Set("laneChanges", static_cast<double>(team.laneChanges));
  out.Set("threads", threads);
  return out;
}

// tensorrtBuildProgress() -> { builds, building, and while building: model, phase, step, steps,
// fraction, elapsedMs } of this process's TensorRT engine builds (build_progress.h).
Napi::Value tensorRtBuildProgress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const edge::BuildProgressSnapshot s = edge::buildProgress().snapshot();
  Napi::Object out = Napi::Object::New(env);
  out.Set("builds", static_cast<double>(s.builds));
  out.Set("building", s.building);
  if (!s.building) return out;
  out.Set("model", s.model);
  out.Set("phase", s.phase);
  out.Set("step", s.step);
  out.Set("steps", s.steps);
  out.Set("fraction", s.fraction);
  out.Set("elapsedMs", s.elapsedMs);
  return out;
}

// shutdown(): for a process about to exit (called on 'exit' of the main thread): this environment's
// schedulers fail their queued requests and let running batches finish, then the torch thread and
// the reaper stop (queued loads reject), so that no model work runs while the C++ runtime tears
// libtorch down. Worker environments do the same for their own schedulers when they end.
void shutdown(const Napi::CallbackInfo& info) {
  dataOf(info.Env()).closeForExit();
  edge::stopSharedThreads();
}

// _trimMemory(): test hook; hands the allocator's free memory back to the system (glibc's malloc_trim),
// so that a process's RSS shows what it holds rather than what its allocator keeps for reuse.
void trimMemory(const Napi::CallbackInfo&) {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

// _setReplyFault(position): test hook; building the reply at this position of a batch throws (-1: off).
void setReplyFault(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throwError(info.Env(), "ERR_INVALID_ARGUMENT", "Expected a position");
  edge::setReplyFault(info[0].As<Napi::Number>().Int32Value());
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto data = std::make_unique<AddonData>();
  data->jsSlice = edge::applyJsThreadSlice();  // this environment's JS thread (js_thread.h)
  data->modelConstructor = Napi::Persistent(NativeModel::define(env));
  data->channel = JsChannel::create(env);
  exports.Set("NativeModel", data->modelConstructor.Value());
  AddonData* raw = data.get();
  env.SetInstanceData<AddonData>(data.release());  // freed by Node when the environment ends
  // Before Node finalizes this environment's objects (see AddonData::end).
  env.AddCleanupHook([raw] { raw->end(); });
  exports.Set("loadModel", Napi::Function::New<loadModel>(env, "loadModel"));
  exports.Set("buildInfo", Napi::Function::New<buildInfo>(env, "buildInfo"));
  exports.Set("shutdown", Napi::Function::New<shutdown>(env, "shutdown"));
  exports.Set("setOnnxRuntimeCandidates", Napi::Function::New<setOnnxRuntimeCandidates>(env, "setOnnxRuntimeCandidates"));
  exports.Set("tensorrtReady", Napi::Function::New<tensorRtReady>(env, "tensorrtReady"));
  exports.Set("tensorrtBuildProgress", Napi::Function::New<tensorRtBuildProgress>(env, "tensorrtBuildProgress"));
  exports.Set("preprocess", Napi::Function::New<preprocessFrames>(env, "preprocess"));
  exports.Set("labels", Napi::Function::New<makeLabels>(env, "labels"));
  exports.Set("results", Napi::Function::New<buildResults>(env, "results"));
  exports.Set("_trimMemory", Napi::Function::New<trimMemory>(env, "_trimMemory"));
  exports.Set("_setReplyFault", Napi::Function::New<setReplyFault>(env, "_setReplyFault"));
  return exports;
}

}  // namespace edge_addon

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return edge_addon::init(env, exports); }

NODE_API_MODULE(edge_classify, Init)
