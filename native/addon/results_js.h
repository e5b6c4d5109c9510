// Results across the boundary (results.h): a model's class names in, a request's result spec in,
// its images' compact results out. On the JS thread only.
//   labels(names: string[] (JSON string literals), keyOrder: Int32Array) -> an opaque handle
//   results(scores: Float64Array, cols, labels, spec) -> the compact results of scores' rows, built on
//     the calling thread with the code the scheduler runs (for tests and benchmarks)
// spec: { multiLabel: bool, threshold?: number, fullPrecision?: bool, topK?: int >= 0, json?: bool }.
// Compact results of n images: { counts: Int32Array(n), classes: Int32Array, confidences:
// Float64Array, predictedCounts?: Int32Array(n), predicted?: Int32Array, json?: Buffer, jsonAt?:
// Int32Array(3n) (each image's start, split and end in json) }.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "../core/results.h"

namespace edge_addon {

std::shared_ptr<const edge::ResultLabels> readLabels(Napi::Env env, Napi::Value handle);
// undefined -> null (no results: the reply carries scores)
std::shared_ptr<const edge::ResultSpec> readResultSpec(Napi::Env env, Napi::Value spec, std::shared_ptr<const edge::ResultLabels> labels);
Napi::Object resultsToJs(Napi::Env env, edge::PackedResults&& results);

Napi::Value makeLabels(const Napi::CallbackInfo& info);
Napi::Value buildResults(const Napi::CallbackInfo& info);

}  // namespace edge_addon
