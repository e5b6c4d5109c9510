#include "js_channel.h"

namespace edge_addon {

std::shared_ptr<JsChannel> JsChannel::create(Napi::Env env) {
  std::shared_ptr<JsChannel> channel(new JsChannel());  // private constructor
  auto finalizerLink = std::make_unique<std::shared_ptr<Link>>(channel->link_);
  channel->tsfn_ = Tsfn::New(env, "edge-classify", 0, 1, channel.get(),
                             [](Napi::Env, std::shared_ptr<Link>* data, JsChannel*) {
                               const std::unique_ptr<std::shared_ptr<Link>> link(data);
                               std::lock_guard<std::mutex> lock((*link)->mutex);
                               (*link)->open = false;
                             },
                             finalizerLink.get());
  finalizerLink.release();  // owned by the finalizer now
  channel->tsfn_.Unref(env);
  return channel;
}

JsChannel::~JsChannel() {
  std::lock_guard<std::mutex> lock(link_->mutex);
  if (link_->open) {
    link_->open = false;
    tsfn_.Release();
  }
}

void JsChannel::expect(Napi::Env env) {
  if (inFlight_++ == 0) tsfn_.Ref(env);
}

void JsChannel::send(std::unique_ptr<Completion> completion) {
  std::lock_guard<std::mutex> lock(link_->mutex);
  if (!link_->open) {
    completion.release();  // the environment is gone: its handles may not be touched from here
    return;
  }
  // deliver() takes it back; refused only while closing, when it is left to the teardown as above
  tsfn_.NonBlockingCall(completion.release());
}

void JsChannel::deliver(Napi::Env env, Napi::Function, JsChannel* channel, Completion* completion) {
  if (env == nullptr) return;  // the environment is going away: nothing can be settled any more
  std::unique_ptr<Completion> owned(completion);
  if (--channel->inFlight_ == 0) channel->tsfn_.Unref(env);
  owned->settle(env);
}

}  // namespace edge_addon
