#include "jpeg_decoder.h"

#include <nvjpeg.h>

#include <string>

#include "../error.h"

namespace edge {

namespace {

void check(nvjpegStatus_t status, const char* call, ErrorCode code = ErrorCode::Decode, const std::string& what = "") {
  if (status == NVJPEG_STATUS_SUCCESS) return;
  if (status == NVJPEG_STATUS_ALLOCATOR_FAILURE) code = ErrorCode::OutOfMemory;
  throw Error(code, std::string("nvJPEG ") + call + " failed with status " + std::to_string(static_cast<int>(status)) +
                        (what.empty() ? "" : " (" + what + ")"));
}

// One nvJPEG library handle with its batched-decode state.
struct Engine {
  nvjpegHandle_t handle = nullptr;
  nvjpegJpegState_t jpeg = nullptr;
  int batch = 0;  // batch size decodeBatched was initialised for
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine() {
    if (jpeg) nvjpegJpegStateDestroy(jpeg);
    if (handle) nvjpegDestroy(handle);
  }
  // Creates the handle for `backend`; false (nothing held) when this GPU or library lacks it.
  bool open(nvjpegBackend_t backend) {
    if (nvjpegCreateEx(backend, nullptr, nullptr, NVJPEG_FLAGS_DEFAULT, &handle) != NVJPEG_STATUS_SUCCESS) {
      handle = nullptr;
      return false;
    }
    check(nvjpegJpegStateCreate(handle, &jpeg), "nvjpegJpegStateCreate", ErrorCode::Unsupported);
    return true;
  }
  nvjpegStatus_t decode(const std::vector<const unsigned char*>& data, const std::vector<size_t>& lengths,
                        std::vector<nvjpegImage_t>& destinations, cudaStream_t stream) {
    const int n = static_cast<int>(data.size());
    if (batch != n) {
      const nvjpegStatus_t status = nvjpegDecodeBatchedInitialize(handle, jpeg, n, 1, NVJPEG_OUTPUT_RGBI);
      if (status != NVJPEG_STATUS_SUCCESS) return status;
      batch = n;
    }
    return nvjpegDecodeBatched(handle, jpeg, data.data(), lengths.data(), destinations.data(), stream);
  }
};

}  // namespace

struct JpegDecoder::State {
  Engine hardware;  // the GPU's JPEG engines (A100, H100, ...): baseline JPEGs, no CPU work
  bool hasHardware = false;
  Engine hybrid;    // CUDA decoding with Huffman on the CPU: every JPEG, and GPUs without engines
};

JpegDecoder::JpegDecoder() : state_(std::make_unique<State>()) {
  state_->hasHardware = state_->hardware.open(NVJPEG_BACKEND_HARDWARE);
  if (!state_->hybrid.open(NVJPEG_BACKEND_DEFAULT)) {
    throw Error(ErrorCode::Unsupported, "nvJPEG could not be initialised on this GPU");
  }
}

JpegDecoder::~JpegDecoder() = default;

bool JpegDecoder::hardware() const { return state_->hasHardware; }

std::vector<std::pair<int, int>> JpegDecoder::sizes(const std::vector<EncodedView>& images, uint64_t maxPixels) {
  std::vector<std::pair<int, int>> out;
  out.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    int components = 0;
    nvjpegChromaSubsampling_t subsampling{};
    int widths[NVJPEG_MAX_COMPONENT] = {};
    int heights[NVJPEG_MAX_COMPONENT] = {};
    const nvjpegStatus_t status = nvjpegGetImageInfo(state_->hybrid.handle, images[i].data, images[i].length, &components,
                                                     &subsampling, widths, heights);
    check(status, "nvjpegGetImageInfo", ErrorCode::Decode, "image " + std::to_string(i) + " is not a JPEG nvJPEG reads");
    if (widths[0] <= 0 || heights[0] <= 0) {
      throw Error(ErrorCode::Decode, "image " + std::to_string(i) + " has an invalid JPEG size");
    }
    const uint64_t pixels = static_cast<uint64_t>(widths[0]) * static_cast<uint64_t>(heights[0]);
    if (maxPixels > 0 && pixels > maxPixels) {
      throw Error(ErrorCode::InvalidImage, "image " + std::to_string(i) + " of " + std::to_string(pixels) +
                                               " pixels exceeds the limit of " + std::to_string(maxPixels) +
                                               "; raise limitInputPixels to accept it");
    }
    out.emplace_back(widths[0], heights[0]);
  }
  return out;
}

void JpegDecoder::decode(const std::vector<EncodedView>& images, const std::vector<std::pair<int, int>>& sizes,
                         uint8_t* device, const std::vector<uint64_t>& offsets, cudaStream_t stream) {
  std::vector<const unsigned char*> data(images.size());
  std::vector<size_t> lengths(images.size());
  std::vector<nvjpegImage_t> destinations(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    data[i] = images[i].data;
    lengths[i] = images[i].length;
    destinations[i] = nvjpegImage_t{};
    destinations[i].channel[0] = device + offsets[i];
    destinations[i].pitch[0] = static_cast<size_t>(sizes[i].first) * 3;
  }
  // The hardware engines take baseline JPEGs; a batch they refuse (progressive, say) goes to the hybrid decoder.
  if (state_->hasHardware && state_->hardware.decode(data, lengths, destinations, stream) == NVJPEG_STATUS_SUCCESS) return;
  check(state_->hybrid.decode(data, lengths, destinations, stream), "nvjpegDecodeBatched", ErrorCode::Decode,
        "a JPEG in the batch is corrupt or of a kind nvJPEG does not decode");
}

}  // namespace edge
