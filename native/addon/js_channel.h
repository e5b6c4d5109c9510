// The one way native work comes back to JS: every lane, the torch thread and
// the load path hand finished work to their environment's JsChannel, which
// settles it on the JS thread (one thread-safe function per environment).
// While work is in flight the channel is ref'd (the process waits for it);
// when idle it is unref'd, so a loaded model never keeps a process alive.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>

namespace edge_addon {

// Work to finish on the JS thread: settle() makes the JS values and settles a Promise.
class Completion {
 public:
  virtual ~Completion() = default;
  virtual void settle(Napi::Env env) = 0;
};

class JsChannel : public std::enable_shared_from_this<JsChannel> {
 public:
  static std::shared_ptr<JsChannel> create(Napi::Env env);
  ~JsChannel();
  JsChannel(const JsChannel&) = delete;
  JsChannel& operator=(const JsChannel&) = delete;

  // JS thread: one more completion will come; the channel keeps the event loop alive until it has.
  void expect(Napi::Env env);
  // Any thread: settles `completion` on the JS thread. When the environment is shutting down the
  // completion is left unsettled, its JS handles left to the environment's teardown.
  void send(std::unique_ptr<Completion> completion);

 private:
  JsChannel() = default;
  static void deliver(Napi::Env env, Napi::Function, JsChannel* channel, Completion* completion);
  using Tsfn = Napi::TypedThreadSafeFunction<JsChannel, Completion, &JsChannel::deliver>;
  // Node finalizes the thread-safe function itself when the environment shuts down; its finalizer
  // closes the link so that send() never uses it afterwards.
  struct Link {
    std::mutex mutex;
    bool open = true;
  };

  std::shared_ptr<Link> link_ = std::make_shared<Link>();
  Tsfn tsfn_;
  size_t inFlight_ = 0;  // JS thread only
};

}  // namespace edge_addon
