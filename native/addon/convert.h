// JS values <-> plain core structs, on the JS thread only. The TypeScript layer
// has validated everything already; these readers re-check types so that a
// direct caller of the binding gets an error instead of undefined behaviour.
#pragma once

#include <napi.h>

#include <vector>

#include "../core/scheduler.h"
#include "../core/classifier.h"
#include "../core/image.h"

namespace edge_addon {

// frames: Array<{ data: Uint8Array, width, height, format: 'gray'|'rgb'|'bgr'|'rgba'|'bgra' }>.
// The views point into the JS buffers: keep `frames` alive while they are used.
std::vector<edge::ImageView> readFrames(Napi::Env env, Napi::Value frames);

// images: Array<Uint8Array> of encoded bytes, read in place (keep `images` alive).
std::vector<edge::EncodedView> readEncoded(Napi::Env env, Napi::Value images);

// config: { width, height, resize, pad, channelOrder, mean, std, activation, maxPixels, preprocessThreads }.
edge::ClassifierConfig readConfig(Napi::Env env, Napi::Value config);

// { maxBatchSize, maxDelayMs, maxQueue, maxQueuedPixels?, combine? } -> edge::BatchOptions.
edge::BatchOptions readBatchOptions(Napi::Env env, Napi::Value options);

// { scores: Float64Array (unless !withValues), rows, cols, prepareMs, runMs }
Napi::Object scoresToJs(Napi::Env env, const edge::Scores& scores, bool withValues = true);

}  // namespace edge_addon
