// A Napi::AsyncWorker that settles a Promise: `work` runs on a libuv pool
// thread and must not touch JS; `resolve` runs on the JS thread afterwards
// and turns the work's result into a JS value. JS values passed to keepAlive()
// (e.g. pixel buffers read in place by `work`) stay referenced until then.
#pragma once

#include <napi.h>

#include <functional>
#include <string>
#include <vector>

namespace edge_addon {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Resolve = std::function<Napi::Value(Napi::Env)>;

  // Queues the work and returns its Promise.
  static Napi::Promise start(Napi::Env env, Work work, Resolve resolve, const std::vector<Napi::Value>& keepAlive = {});

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  PromiseWorker(Napi::Env env, Work work, Resolve resolve);

  Napi::Promise::Deferred deferred_;
  Work work_;
  Resolve resolve_;
  std::vector<Napi::Reference<Napi::Value>> keepAlive_;
  std::string code_;
  std::string message_;
};

}  // namespace edge_addon
