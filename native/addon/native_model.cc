#include "native_model.h"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <cstring>
#include <utility>

#include "convert.h"
#include "errors.h"
#include "results_js.h"

namespace edge_addon {

namespace {

bool sameSpec(const edge::ResultSpec& a, const edge::ResultSpec& b) {
  return a.task == b.task && a.hasThreshold == b.hasThreshold && (a.threshold == b.threshold || (!a.hasThreshold && !b.hasThreshold)) &&
         a.fullPrecision == b.fullPrecision && a.topK == b.topK && a.json == b.json && a.labels == b.labels;
}

Napi::Float32Array floatsToJs(Napi::Env env, const std::vector<float>& values) {
  Napi::Float32Array out = Napi::Float32Array::New(env, values.size());
  std::memcpy(out.Data(), values.data(), values.size() * sizeof(float));
  return out;
}

// A request in flight: settled on the JS thread with its reply.
class RequestDone final : public Completion {
 public:
  RequestDone(Napi::Env env, edge::RequestKind kind, Napi::Value inputs, Napi::Object owner)
      : deferred_(Napi::Promise::Deferred::New(env)), inputs_(Napi::Persistent(inputs)), owner_(Napi::Persistent(owner)), kind_(kind) {}

  Napi::Promise promise() const { return deferred_.Promise(); }
  edge::Reply reply;

  void settle(Napi::Env env) override {
    std::string code, message;
    Napi::Value value;
    const bool ok = captureErrors([&] { value = toJs(env); }, code, message);
    if (ok && !reply.error) {
      deferred_.Resolve(value);
      return;
    }
    if (reply.error) {
      code = edge::codeName(reply.error->code());
      message = reply.error->what();
    }
    deferred_.Reject(makeError(env, code, message).Value());
  }

 private:
  Napi::Value toJs(Napi::Env env) {
    if (reply.error) return env.Undefined();
    if (kind_ == edge::RequestKind::Preprocess) return floatsToJs(env, reply.tensor);
    Napi::Object out = scoresToJs(env, reply.scores, !reply.results);
    if (!reply.sizes.empty()) {
      Napi::Int32Array dims = Napi::Int32Array::New(env, reply.sizes.size() * 2);
      for (size_t i = 0; i < reply.sizes.size(); ++i) {
        dims[2 * i] = reply.sizes[i].first;
        dims[2 * i + 1] = reply.sizes[i].second;
      }
      out.Set("sizes", dims);
    }
    if (reply.results) out.Set("results", resultsToJs(env, std::move(*reply.results)));  // instead of scores
    out.Set("batchSize", reply.batchSize);
    out.Set("queuedMs", reply.queuedMs);
    out.Set("computeMs", reply.computeMs);
    return out;
  }

  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Value> inputs_;  // pixel / JPEG / tensor / token buffers, read in place
  Napi::ObjectReference owner_;          // the NativeModel
  edge::RequestKind kind_;
};

// dispose() resolved once the scheduler has freed the model.
class Released final : public Completion {
 public:
  Released(Napi::Env env, Napi::Object owner) : deferred_(Napi::Promise::Deferred::New(env)), owner_(Napi::Persistent(owner)) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  void settle(Napi::Env env) override { deferred_.Resolve(env.Undefined()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference owner_;  // the NativeModel stays referenced until it has been released
};

Napi::Object countersToJs(Napi::Env env, const edge::SchedulerCounters& c) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("batches", static_cast<double>(c.batches));
  out.Set("images", static_cast<double>(c.images));
  Napi::Object sizes = Napi::Object::New(env);
  for (size_t k = 1; k < c.batchSizes.size(); ++k) {
    if (c.batchSizes[k] > 0) sizes.Set(std::to_string(k), static_cast<double>(c.batchSizes[k]));
  }
  out.Set("batchSizes", sizes);
  out.Set("queuedImages", static_cast<double>(c.queuedImages));
  out.Set("queuedPixels", static_cast<double>(c.queuedPixels));
  out.Set("queuedRequests", static_cast<double>(c.queuedRequests));
  out.Set("running", c.running > 0);
  out.Set("submitted", static_cast<double>(c.submitted));
  out.Set("completed", static_cast<double>(c.completed));
  out.Set("succeeded", static_cast<double>(c.succeeded));
  out.Set("failed", static_cast<double>(c.failed));
  out.Set("inFlight", static_cast<double>(c.submitted) - static_cast<double>(c.completed));
  out.Set("queueMsTotal", c.queueMsTotal);
  out.Set("computeMsTotal", c.computeMsTotal);
  out.Set("executions", static_cast<double>(c.executions));
  out.Set("lanes", c.lanes);
  return out;
}

}  // namespace

Napi::Function NativeModel::define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {
                         InstanceMethod<&NativeModel::enqueue>("enqueue"),
                         InstanceMethod<&NativeModel::startQueue>("startQueue"),
                         InstanceMethod<&NativeModel::setLabels>("setLabels"),
                         InstanceMethod<&NativeModel::cancel>("cancel"),
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

NativeModel::~NativeModel() {
  // Collected (or its environment torn down) without dispose(): the scheduler frees the model on a
  // lane; its release task keeps it alive until then.
  if (scheduler_) scheduler_->dispose(nullptr);
}

void NativeModel::attach(std::shared_ptr<edge::Scheduler> scheduler, std::shared_ptr<JsChannel> channel, std::string metadata) {
  scheduler_ = std::move(scheduler);
  channel_ = std::move(channel);
  metadata_ = std::move(metadata);
}

edge::Scheduler& NativeModel::live(Napi::Env env) const {
  if (!scheduler_) throwError(env, "ERR_DISPOSED", "the model was disposed; load it again to classify");
  return *scheduler_;
}

Napi::Promise NativeModel::submit(Napi::Env env, edge::Request request, Napi::Value keepAlive) {
  edge::Scheduler& scheduler = live(env);
  auto pending = std::make_unique<RequestDone>(env, request.kind, keepAlive, Value());
  Napi::Promise promise = pending->promise();
  RequestDone* raw = pending.release();  // owned by the request's `done` from here on
  request.done = [channel = channel_, raw](edge::Reply&& reply) {
    raw->reply = std::move(reply);
    channel->send(std::unique_ptr<Completion>(raw));
  };
  std::string code, message;
  if (!captureErrors([&] { scheduler.submit(std::move(request)); }, code, message)) {
    const std::unique_ptr<RequestDone> refused(raw);  // not queued: `done` will never run
    throwError(env, code, message);
  }
  channel_->expect(env);
  return promise;
}

// enqueue(images, encoded, spec?) -> [Promise<scores or results>, cancel]: batched with other callers' images.
Napi::Value NativeModel::enqueue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  live(env);
  edge::Request request;
  request.kind = edge::RequestKind::Images;
  if (info[1].ToBoolean()) {
    request.encoded = readEncoded(env, info[0]);
  } else {
    request.frames = readFrames(env, info[0]);
  }
  request.results = readResultSpec(env, info[2], labels_);
  // calls with the same options share one spec: none allocated here and freed on a lane per call
  if (request.results && lastSpec_ && sameSpec(*request.results, *lastSpec_)) request.results = lastSpec_;
  lastSpec_ = request.results ? request.results : lastSpec_;
  std::weak_ptr<std::atomic<bool>> cancelled = request.cancelled;
  Napi::Promise promise = submit(env, std::move(request), info[0]);
  // the request's cancel flag by a number, not a function per call (each with a GC finalizer);
  // flags of finished requests expire and are swept as the table grows
  if (cancels_.size() >= 2 * sweepAt_) {
    for (auto it = cancels_.begin(); it != cancels_.end();) it = it->second.expired() ? cancels_.erase(it) : std::next(it);
    sweepAt_ = std::max<size_t>(64, cancels_.size());
  }
  const double id = static_cast<double>(++lastRequest_);
  cancels_.emplace(lastRequest_, std::move(cancelled));
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, promise);
  out.Set(1u, Napi::Number::New(env, id));
  return out;
}

// cancel(id): a request not started yet is dropped (its promise rejects with ERR_ABORTED); otherwise nothing.
void NativeModel::cancel(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) return;
  const auto it = cancels_.find(static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
  if (it == cancels_.end()) return;
  if (const auto flag = it->second.lock()) flag->store(true);
  cancels_.erase(it);
}

void NativeModel::setLabels(const Napi::CallbackInfo& info) {
  labels_ = readLabels(info.Env(), info[0]);
}

void NativeModel::startQueue(const Napi::CallbackInfo& info) {
  edge::Scheduler& scheduler = live(info.Env());
  const edge::BatchOptions options = readBatchOptions(info.Env(), info[0]);
  std::string code, message;
  if (!captureErrors([&] { scheduler.startBatching(options); }, code, message)) throwError(info.Env(), code, message);
}

Napi::Value NativeModel::gpuMemory(const Napi::CallbackInfo& info) {
  if (!scheduler_) return info.Env().Null();
  const auto memory = scheduler_->deviceMemory();
  if (!memory) return info.Env().Null();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("freeBytes", static_cast<double>(memory->first));
  out.Set("totalBytes", static_cast<double>(memory->second));
  return out;
}

Napi::Value NativeModel::queueStats(const Napi::CallbackInfo& info) {
  if (!scheduler_) return info.Env().Null();
  return countersToJs(info.Env(), scheduler_->counters());
}

Napi::Value NativeModel::preprocess(const Napi::CallbackInfo& info) {
  edge::Request request;
  request.kind = edge::RequestKind::Preprocess;
  request.frames = readFrames(info.Env(), info[0]);
  return submit(info.Env(), std::move(request), info[0]);
}

Napi::Value NativeModel::preprocessEncoded(const Napi::CallbackInfo& info) {
  edge::Request request;
  request.kind = edge::RequestKind::Preprocess;
  request.encoded = readEncoded(info.Env(), info[0]);
  return submit(info.Env(), std::move(request), info[0]);
}

Napi::Value NativeModel::infer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throwError(env, "ERR_INVALID_ARGUMENT", "Expected a Float32Array tensor");
  }
  if (!info[1].IsNumber()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected a batch size");
  const double n = info[1].As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= (1 << 20)) || n != static_cast<double>(static_cast<int>(n))) {
    throwError(env, "ERR_INVALID_ARGUMENT", "the batch size must be a whole number from 1 to 1048576");
  }
  Napi::Float32Array tensor = info[0].As<Napi::Float32Array>();
  edge::Request request;
  request.kind = edge::RequestKind::Infer;
  request.tensor = tensor.Data();
  request.tensorLength = tensor.ElementLength();
  request.rows = static_cast<int>(n);
  return submit(env, std::move(request), info[0]);
}

// runTokens(ids: Int32Array, n) -> Promise<{ scores, rows, cols }>: a token model's raw outputs.
Napi::Value NativeModel::runTokens(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throwError(env, "ERR_INVALID_ARGUMENT", "Expected an Int32Array of token ids");
  }
  if (!info[1].IsNumber()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected a row count");
  Napi::Int32Array ids = info[0].As<Napi::Int32Array>();
  const double n = info[1].As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= (1 << 20)) || n != static_cast<double>(static_cast<int>(n)) ||
      ids.ElementLength() % static_cast<size_t>(n) != 0 || ids.ElementLength() == 0) {
    throwError(env, "ERR_INVALID_ARGUMENT", "the token array does not hold whole rows");
  }
  edge::Request request;
  request.kind = edge::RequestKind::Tokens;
  request.tokens = ids.Data();
  request.rows = static_cast<int>(n);
  request.tokenLength = static_cast<int>(ids.ElementLength() / static_cast<size_t>(n));
  return submit(env, std::move(request), info[0]);
}

Napi::Value NativeModel::gpuDecode(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), scheduler_ && scheduler_->gpuDecode());
}

void NativeModel::configure(const Napi::CallbackInfo& info) {
  edge::Scheduler& scheduler = live(info.Env());
  const edge::ClassifierConfig config = readConfig(info.Env(), info[0]);
  std::string code, message;
  if (!captureErrors([&] { scheduler.configure(config); }, code, message)) throwError(info.Env(), code, message);
}

Napi::Value NativeModel::dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto released = std::make_unique<Released>(env, Value());
  Napi::Promise promise = released->promise();
  if (!scheduler_) {
    released->settle(env);
    return promise;
  }
  Released* raw = released.release();  // owned by the callback from here on
  channel_->expect(env);
  // Queued requests reject with ERR_DISPOSED; running batches finish; then the model is freed on a lane.
  scheduler_->dispose([channel = channel_, raw] { channel->send(std::unique_ptr<Completion>(raw)); });
  return promise;
}

Napi::Value NativeModel::metadata(const Napi::CallbackInfo& info) {
  return metadata_.empty() ? info.Env().Null() : Napi::String::New(info.Env(), metadata_);
}

Napi::Value NativeModel::backendName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), scheduler_ ? scheduler_->backendName() : "");
}

Napi::Value NativeModel::device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), scheduler_ ? scheduler_->device() : "");
}

}  // namespace edge_addon
