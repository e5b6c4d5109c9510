// The bridge between JS callers and the core's Batcher: submit() turns JS
// inputs into a request whose completion comes back to the JS thread through
// one thread-safe function and settles that call's Promise. While requests
// are in flight the thread-safe function is ref'd (the process waits for
// them); when idle it is unref'd, so a loaded model never keeps a process alive.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>

#include "../core/batcher.h"

namespace edge_addon {

class RequestQueue {
 public:
  RequestQueue(Napi::Env env, std::shared_ptr<edge::Classifier> classifier, const edge::BatchOptions& options);
  ~RequestQueue();  // closes the batcher, joins its thread, releases the thread-safe function
  RequestQueue(const RequestQueue&) = delete;
  RequestQueue& operator=(const RequestQueue&) = delete;

  // Queues `images` (frames, or JPEG buffers when `encoded`) and returns [Promise, cancel()].
  // `owner` (the NativeModel's JS object) is kept alive until the request settles.
  // Throws ERR_QUEUE_FULL / ERR_DISPOSED synchronously.
  Napi::Value submit(Napi::Env env, Napi::Value images, bool encoded, Napi::Object owner);
  // Refuses new requests; queued ones reject with ERR_DISPOSED; the running batch finishes.
  void close();
  Napi::Value stats(Napi::Env env) const;

 private:
  struct Pending;
  // Whether deliver_ may still be used: Node finalizes a thread-safe function itself when the
  // environment shuts down (before it finalizes this queue's owner), and its finalizer closes the link.
  struct Link {
    std::mutex mutex;
    bool open = true;
  };
  static void deliver(Napi::Env env, Napi::Function, RequestQueue* queue, Pending* pending);
  using Deliver = Napi::TypedThreadSafeFunction<RequestQueue, Pending, &RequestQueue::deliver>;

  std::shared_ptr<Link> link_ = std::make_shared<Link>();
  std::unique_ptr<edge::Batcher> batcher_;
  Deliver deliver_;
  size_t inFlight_ = 0;  // JS thread only
};

}  // namespace edge_addon
