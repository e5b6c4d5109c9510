#include "request_queue.h"

#include <atomic>
#include <string>

#include "convert.h"
#include "errors.h"

namespace edge_addon {

struct RequestQueue::Pending {
  Napi::Promise::Deferred deferred;
  Napi::Reference<Napi::Value> inputs;  // pixel / JPEG buffers, read in place by the executor
  Napi::ObjectReference owner;          // the NativeModel, which owns this queue
  edge::Reply reply;
};

RequestQueue::RequestQueue(Napi::Env env, std::shared_ptr<edge::Classifier> classifier, const edge::BatchOptions& options)
    : batcher_(std::make_unique<edge::Batcher>(std::move(classifier), options)) {
  auto finalizerLink = std::make_unique<std::shared_ptr<Link>>(link_);
  deliver_ = Deliver::New(env, "edge-classify", 0, 1, this,
                          [](Napi::Env, std::shared_ptr<Link>* data, RequestQueue*) {
                            const std::unique_ptr<std::shared_ptr<Link>> link(data);
                            std::lock_guard<std::mutex> lock((*link)->mutex);
                            (*link)->open = false;
                          },
                          finalizerLink.get());
  finalizerLink.release();  // owned by the finalizer now
  deliver_.Unref(env);
}

RequestQueue::~RequestQueue() {
  batcher_.reset();  // every request has completed once this returns
  std::lock_guard<std::mutex> lock(link_->mutex);
  if (link_->open) deliver_.Release();
}

Napi::Value RequestQueue::submit(Napi::Env env, Napi::Value images, bool encoded, Napi::Object owner) {
  edge::Request request;
  if (encoded) {
    request.encoded = readEncoded(env, images);
  } else {
    request.frames = readFrames(env, images);
  }
  auto pending = std::make_unique<Pending>(Pending{Napi::Promise::Deferred::New(env), Napi::Persistent(images),
                                                   Napi::Persistent(owner), edge::Reply{}});
  Pending* raw = pending.get();
  request.done = [this, raw](edge::Reply&& reply) {
    raw->reply = std::move(reply);
    // Closed or refused only while the environment shuts down; the Pending is then left to the process.
    std::lock_guard<std::mutex> lock(link_->mutex);
    if (link_->open) deliver_.NonBlockingCall(raw);
  };
  std::shared_ptr<std::atomic<bool>> cancelled = request.cancelled;
  Napi::Promise promise = pending->deferred.Promise();
  std::string code, message;
  if (!captureErrors([&] { batcher_->submit(std::move(request)); }, code, message)) throwError(env, code, message);
  pending.release();  // owned by the request now; deliver() takes it back
  if (inFlight_++ == 0) deliver_.Ref(env);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, promise);
  out.Set(1u, Napi::Function::New(env, [cancelled](const Napi::CallbackInfo&) { cancelled->store(true); }, "cancel"));
  return out;
}

void RequestQueue::deliver(Napi::Env env, Napi::Function, RequestQueue* queue, Pending* pending) {
  if (env == nullptr) return;  // the environment is going away: nothing can be settled any more
  std::unique_ptr<Pending> p(pending);
  if (--queue->inFlight_ == 0) queue->deliver_.Unref(env);
  std::string code, message;
  Napi::Value value;
  const bool ok = captureErrors(
      [&] {
        if (p->reply.error) {
          code = edge::codeName(p->reply.error->code());
          message = p->reply.error->what();
          return;
        }
        Napi::Object out = scoresToJs(env, p->reply.scores);
        if (!p->reply.sizes.empty()) {
          Napi::Int32Array dims = Napi::Int32Array::New(env, p->reply.sizes.size() * 2);
          for (size_t i = 0; i < p->reply.sizes.size(); ++i) {
            dims[2 * i] = p->reply.sizes[i].first;
            dims[2 * i + 1] = p->reply.sizes[i].second;
          }
          out.Set("sizes", dims);
        }
        out.Set("batchSize", p->reply.batchSize);
        out.Set("queuedMs", p->reply.queuedMs);
        value = out;
      },
      code, message);
  if (ok && !p->reply.error) {
    p->deferred.Resolve(value);
  } else {
    p->deferred.Reject(makeError(env, code, message).Value());
  }
}

void RequestQueue::close() { batcher_->close(); }

Napi::Value RequestQueue::stats(Napi::Env env) const {
  const edge::BatcherCounters c = batcher_->counters();
  Napi::Object out = Napi::Object::New(env);
  out.Set("batches", static_cast<double>(c.batches));
  out.Set("images", static_cast<double>(c.images));
  Napi::Object sizes = Napi::Object::New(env);
  for (size_t k = 1; k < c.batchSizes.size(); ++k) {
    if (c.batchSizes[k] > 0) sizes.Set(std::to_string(k), static_cast<double>(c.batchSizes[k]));
  }
  out.Set("batchSizes", sizes);
  out.Set("queuedImages", static_cast<double>(c.queuedImages));
  out.Set("queuedRequests", static_cast<double>(c.queuedRequests));
  out.Set("running", c.running);
  out.Set("inFlight", static_cast<double>(inFlight_));
  return out;
}

}  // namespace edge_addon
