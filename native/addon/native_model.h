// NativeModel: the JS handle of a model's edge::Scheduler. Every call is a
// request on the scheduler; nothing here touches the backend.
//   [sync]  startQueue({ maxBatchSize, maxDelayMs, maxQueue, maxQueuedPixels?, combine? }) -> once;
//           a second call throws ERR_INVALID_ARGUMENT
//   [sync]  setLabels(labels)       -> the class names results are built with (a handle: results_js.h)
//   [sync]  enqueue(frames | jpegs, encoded, spec?) -> [Promise<{ scores, rows, cols, prepareMs, nativeMs,
//           computeMs, batchSize, queuedMs, sizes?, results? }>, id]; throws ERR_QUEUE_FULL /
//           ERR_DISPOSED. With a result spec (results_js.h) each image's result is built on the lane
//           and `results` replaces the scores' values.
//   [sync]  cancel(id)              -> drops request `id` if its batch has not started (it rejects with ERR_ABORTED)
//   [sync]  preprocess(frames) / preprocessEncoded(jpegs) -> Promise<Float32Array> (NCHW)
//   [sync]  infer(tensor, n)        -> Promise<{ scores, rows, cols, ... }>
//   [sync]  runTokens(ids, n)       -> Promise<{ scores, rows, cols, ... }> (a token model, e.g. CLIP's text encoder)
//   [sync]  gpuMemory()             -> { freeBytes, totalBytes } of the model's GPU, or null
//   [sync]  queueStats()            -> the scheduler's counters
//   [sync]  configure(config)       -> undefined
//   [sync]  dispose()               -> Promise<void>: queued requests reject with ERR_DISPOSED, running
//           batches finish, the backend and all its memory are freed on a lane, then it resolves
//   [get]   metadata (string), backend (string), device (string), gpuDecode (bool)
// Inputs (pixel buffers, tensors, token arrays) are read in place: each request
// holds a reference to them until it settles. A model collected without
// dispose() is disposed by its finalizer (the freeing still runs on a lane).
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <string>

#include "../core/scheduler.h"
#include "../core/results.h"
#include "js_channel.h"

namespace edge_addon {

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit NativeModel(const Napi::CallbackInfo& info);
  ~NativeModel() override;

  void attach(std::shared_ptr<edge::Scheduler> scheduler, std::shared_ptr<JsChannel> channel, std::string metadata);

 private:
  Napi::Value enqueue(const Napi::CallbackInfo& info);
  void startQueue(const Napi::CallbackInfo& info);
  void setLabels(const Napi::CallbackInfo& info);
  void cancel(const Napi::CallbackInfo& info);
  Napi::Value queueStats(const Napi::CallbackInfo& info);
  Napi::Value gpuMemory(const Napi::CallbackInfo& info);
  Napi::Value preprocess(const Napi::CallbackInfo& info);
  Napi::Value infer(const Napi::CallbackInfo& info);
  Napi::Value runTokens(const Napi::CallbackInfo& info);
  Napi::Value preprocessEncoded(const Napi::CallbackInfo& info);
  Napi::Value gpuDecode(const Napi::CallbackInfo& info);
  void configure(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value metadata(const Napi::CallbackInfo& info);
  Napi::Value backendName(const Napi::CallbackInfo& info);
  Napi::Value device(const Napi::CallbackInfo& info);

  edge::Scheduler& live(Napi::Env env) const;
  // Submits `request` and returns its Promise; `keepAlive` stays referenced until it settles.
  Napi::Promise submit(Napi::Env env, edge::Request request, Napi::Value keepAlive);

  std::shared_ptr<edge::Scheduler> scheduler_;
  std::shared_ptr<JsChannel> channel_;
  std::string metadata_;
  std::shared_ptr<const edge::ResultLabels> labels_;
  std::shared_ptr<const edge::ResultSpec> lastSpec_;  // the latest call's result spec, shared by calls like it
  // JS thread only: the cancel flags of requests by id (expired once a request has finished)
  std::unordered_map<uint64_t, std::weak_ptr<std::atomic<bool>>> cancels_;
  uint64_t lastRequest_ = 0;
  size_t sweepAt_ = 64;
};

}  // namespace edge_addon
