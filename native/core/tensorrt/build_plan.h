// How an ONNX model becomes a TensorRT engine for a precision, decided without
// TensorRT from what the network holds, so that the rules are tested where no
// TensorRT is installed:
//  - TensorRT 10: precision is a builder flag (fp16), int8 by calibration
//    from images (implicit quantisation) or from the ONNX's Q/DQ nodes;
//  - TensorRT 11: networks are always strongly typed: the precision is the
//    ONNX's own (fp16 weights and activations from a converted model; int8 or
//    fp8 through Q/DQ nodes); asking for one the ONNX does not hold is a typed
//    error that says how to convert it.
#pragma once

#include <cstddef>
#include <string>

#include "../backend.h"

namespace edge {

// What the parsed network holds.
struct NetworkTypes {
  bool half = false;  // some layer computes in fp16 (or bf16)
  bool qdq = false;   // quantize/dequantize layers (explicit quantisation)
};

enum class BuildMode {
  Fp32,            // no precision flags
  Fp16Flag,        // TensorRT 10: BuilderFlag::kFP16
  Int8Calibrated,  // TensorRT 10: kINT8 (+ kFP16 fallback) with the images' calibrator
  Int8Explicit,    // TensorRT 10: kINT8 (+ kFP16) honouring the ONNX's Q/DQ scales, no calibrator
  StronglyTyped,   // TensorRT 11: the network's own types, no flags
};

// The builder's mode for `precision` on TensorRT `major` (10 or 11); throws Error(Unsupported) when
// the ONNX cannot give that precision there, saying how to make one that can.
BuildMode buildMode(int major, Precision precision, const NetworkTypes& types, int calibrationImages, const std::string& onnx);

// The int8 calibrator reads `images` images of 3 x height x width floats (the ONNX input's size)
// from a tensor of `floats` floats; throws Error(ModelMismatch) when it holds another amount (the
// images were preprocessed at the metadata's size, which is not the ONNX's).
void checkCalibration(size_t floats, int images, int height, int width, const std::string& onnx);

}  // namespace edge
