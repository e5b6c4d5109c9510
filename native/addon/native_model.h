// NativeModel: the JS handle of a loaded edge::Classifier.
//   [sync]  startQueue({ maxBatchSize, maxDelayMs, maxQueue }) -> starts the model's batcher
//   [sync]  enqueue(frames | jpegs, encoded) -> [Promise<{ scores, rows, cols, prepareMs, nativeMs,
//           batchSize, queuedMs, sizes? }>, cancel()]; throws ERR_QUEUE_FULL / ERR_DISPOSED
//   [sync]  gpuMemory()             -> { freeBytes, totalBytes } of the model's GPU, or null
//   [sync]  queueStats()            -> { batches, images, batchSizes, queuedImages, queuedRequests, running, inFlight }
//   [async] preprocess(frames)      -> Float32Array (NCHW)
//   [async] infer(tensor, n)        -> { scores, rows, cols }
//   [async] runTokens(ids, n)       -> { scores, rows, cols } (a token model, e.g. CLIP's text encoder)
//   [async] preprocessEncoded(jpegs) -> Float32Array (GPU decode)
//   [sync]  configure(config)       -> undefined
//   [sync]  dispose()               -> undefined; later calls reject with ERR_DISPOSED
//   [get]   metadata (string), backend (string), device (string), gpuDecode (bool)
// Work in flight keeps the classifier alive through its shared_ptr, so
// dispose() never frees memory that a worker thread is using.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "../core/classifier.h"
#include "request_queue.h"

namespace edge_addon {

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit NativeModel(const Napi::CallbackInfo& info);

  void attach(std::shared_ptr<edge::Classifier> classifier, std::string metadata);

 private:
  Napi::Value enqueue(const Napi::CallbackInfo& info);
  void startQueue(const Napi::CallbackInfo& info);
  Napi::Value queueStats(const Napi::CallbackInfo& info);
  Napi::Value gpuMemory(const Napi::CallbackInfo& info);
  Napi::Value preprocess(const Napi::CallbackInfo& info);
  Napi::Value infer(const Napi::CallbackInfo& info);
  Napi::Value runTokens(const Napi::CallbackInfo& info);
  Napi::Value preprocessEncoded(const Napi::CallbackInfo& info);
  Napi::Value gpuDecode(const Napi::CallbackInfo& info);
  void configure(const Napi::CallbackInfo& info);
  void dispose(const Napi::CallbackInfo& info);
  Napi::Value metadata(const Napi::CallbackInfo& info);
  Napi::Value backendName(const Napi::CallbackInfo& info);
  Napi::Value device(const Napi::CallbackInfo& info);

  std::shared_ptr<edge::Classifier> live(Napi::Env env) const;

  std::shared_ptr<edge::Classifier> classifier_;
  std::unique_ptr<RequestQueue> queue_;  // outlives dispose(): joined when the object is collected
  std::string metadata_;
  std::string backend_;
  std::string device_;
  bool gpuDecode_ = false;
};

}  // namespace edge_addon
