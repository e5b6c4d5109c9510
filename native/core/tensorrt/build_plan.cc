#include "build_plan.h"

#include "../error.h"

namespace edge {

namespace {
const char* kFp16Export = "python scripts/models/export_onnx.py <model> <out.onnx> --precision fp16";
}

BuildMode buildMode(int major, Precision precision, const NetworkTypes& types, int calibrationImages, const std::string& onnx) {
  if (major >= 11) {
    switch (precision) {
      case Precision::FP32:
        if (types.half || types.qdq) {
          throw Error(ErrorCode::Unsupported, onnx + " holds " + (types.qdq ? "quantized (Q/DQ)" : "fp16") +
                                                  " layers, and TensorRT " + std::to_string(major) +
                                                  " builds every network in the ONNX's own types: ask for precision '" +
                                                  (types.qdq ? "int8" : "fp16") + "', or load the fp32 ONNX");
        }
        return BuildMode::StronglyTyped;
      case Precision::FP16:
        if (!types.half) {
          throw Error(ErrorCode::Unsupported, "TensorRT " + std::to_string(major) +
                                                  " builds an fp16 engine only from an fp16 ONNX (it dropped the fp16 builder flag; "
                                                  "networks are strongly typed), and " + onnx + " is fp32 only: convert it with `" +
                                                  kFp16Export + "` and load that, or use precision 'fp32'");
        }
        return BuildMode::StronglyTyped;
      case Precision::INT8:
        if (!types.qdq) {
          throw Error(ErrorCode::Unsupported, "TensorRT " + std::to_string(major) +
                                                  " builds an int8 engine only from an ONNX with quantize/dequantize (Q/DQ) nodes "
                                                  "(it dropped calibration from images), and " + onnx +
                                                  " has none: quantize it to a Q/DQ ONNX (e.g. onnxruntime's quantize_static with "
                                                  "QuantFormat.QDQ, or NVIDIA ModelOpt), or use TensorRT 10's calibration");
        }
        return BuildMode::StronglyTyped;
    }
  }
  switch (precision) {
    case Precision::FP32:
      return BuildMode::Fp32;
    case Precision::FP16:
      return BuildMode::Fp16Flag;
    case Precision::INT8:
      if (types.qdq) return BuildMode::Int8Explicit;
      if (calibrationImages < 1) {
        throw Error(ErrorCode::InvalidArgument, onnx + " has no quantize/dequantize (Q/DQ) nodes, so precision 'int8' on TensorRT " + std::to_string(major) +
                                                    " calibrates from images: give a folder of typical ones as options.tensorrt.calibration "
                                                    "(build-engine --calibration), or load a Q/DQ ONNX");
      }
      return BuildMode::Int8Calibrated;
  }
  return BuildMode::Fp32;
}

void checkCalibration(size_t floats, int images, int height, int width, const std::string& onnx) {
  const size_t per = static_cast<size_t>(3) * static_cast<size_t>(height) * static_cast<size_t>(width);
  if (images < 1 || height < 1 || width < 1 || floats != per * static_cast<size_t>(images)) {
    const size_t perGiven = images > 0 ? floats / static_cast<size_t>(images) : 0;
    throw Error(ErrorCode::ModelMismatch,
                "the int8 calibration images do not fit " + onnx + "'s input: " + std::to_string(images) + " images of " +
                    std::to_string(perGiven) + " floats each, where its input (3 x " + std::to_string(height) + " x " +
                    std::to_string(width) + ") takes " + std::to_string(per) +
                    ": they are preprocessed at the metadata's input size, which must be the ONNX's (fix \"input\" in the metadata)");
  }
}

}  // namespace edge
