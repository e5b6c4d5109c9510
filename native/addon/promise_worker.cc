#include "promise_worker.h"

#include <memory>

#include "errors.h"

namespace edge_addon {

PromiseWorker::PromiseWorker(Napi::Env env, Work work, Resolve resolve)
    : Napi::AsyncWorker(env, "edge-classify"),
      deferred_(Napi::Promise::Deferred::New(env)),
      work_(std::move(work)),
      resolve_(std::move(resolve)) {}

Napi::Promise PromiseWorker::start(Napi::Env env, Work work, Resolve resolve, const std::vector<Napi::Value>& keepAlive) {
  // node-addon-api deletes a queued AsyncWorker itself once it has completed,
  // so ownership passes to it here.
  auto worker = std::unique_ptr<PromiseWorker>(new PromiseWorker(env, std::move(work), std::move(resolve)));
  for (const Napi::Value& value : keepAlive) worker->keepAlive_.push_back(Napi::Persistent(value));
  Napi::Promise promise = worker->deferred_.Promise();
  worker.release()->Queue();
  return promise;
}

void PromiseWorker::Execute() {
  if (!captureErrors(work_, code_, message_)) SetError(message_);
}

void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  Napi::Value value;
  std::string code, message;
  if (captureErrors([&] { value = resolve_(env); }, code, message)) {
    deferred_.Resolve(value);
  } else {
    deferred_.Reject(makeError(env, code, message).Value());
  }
}

void PromiseWorker::OnError(const Napi::Error&) {
  deferred_.Reject(makeError(Env(), code_, message_).Value());
}

}  // namespace edge_addon
