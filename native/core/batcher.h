// Dynamic batching: requests from many callers are queued per model and
// gathered into batches of up to maxBatchSize images, waiting at most
// maxDelayMs after the first for more, then run on the model's executor threads
// (one per batch the backend can run at once: one for CPU models, whose work
// goes to the process's torch thread anyway; one per CUDA stream on a GPU).
// Every request completes exactly once through its `done` callback, on the
// executor thread (or on the caller's thread for a request refused at close).
// Plain C++: no Node here.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "classifier.h"
#include "error.h"
#include "image.h"

namespace edge {

struct BatchOptions {
  int maxBatchSize = 32;    // images per batch; a single request larger than this runs alone
  double maxDelayMs = 0;    // how long the first request of a batch waits for company
  size_t maxQueue = 4096;   // images waiting (not running) before submit() refuses with QueueFull
  int executors = 1;        // batches run at once (default: the backend's concurrency, e.g. CUDA streams)
};

struct Reply {
  Scores scores;                            // rows = this request's images
  std::vector<std::pair<int, int>> sizes;   // decoded sizes (encoded requests)
  std::optional<Error> error;               // set when the request failed
  int batchSize = 0;                        // images in the batch it ran in
  double queuedMs = 0;                      // from submit() to the start of its batch
};

struct Request {
  std::vector<ImageView> frames;     // decoded pixels, or
  std::vector<EncodedView> encoded;  // JPEG bytes for the GPU decoder
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
  std::function<void(Reply&&)> done;

  bool isEncoded() const { return !encoded.empty(); }
  size_t count() const { return isEncoded() ? encoded.size() : frames.size(); }
};

struct BatcherCounters {
  uint64_t batches = 0;
  uint64_t images = 0;
  std::vector<uint64_t> batchSizes;  // batchSizes[k] = batches of k images (index 0 unused)
  size_t queuedImages = 0;
  size_t queuedRequests = 0;
  bool running = false;              // a batch is on an executor now
};

class Batcher {
 public:
  Batcher(std::shared_ptr<Classifier> classifier, BatchOptions options);
  ~Batcher();  // close() and join the executor
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues a request. Throws Error(QueueFull) past maxQueue, Error(Disposed) after close().
  void submit(Request request);
  // Stops accepting; queued requests complete with Error(Disposed); the running batch finishes.
  void close();
  // close() and wait for the executor thread to end. Idempotent.
  void stop();
  BatcherCounters counters() const;
  const BatchOptions& options() const { return options_; }

 private:
  struct Queued {
    Request request;
    std::chrono::steady_clock::time_point at;
  };
  void loop();
  std::vector<Queued> gather(std::unique_lock<std::mutex>& lock);
  void run(std::vector<Queued>& batch);
  void runTogether(std::vector<Queued>& batch);

  std::shared_ptr<Classifier> classifier_;
  const BatchOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;
  size_t queuedImages_ = 0;
  bool closed_ = false;
  int running_ = 0;
  uint64_t batches_ = 0;
  uint64_t images_ = 0;
  std::vector<uint64_t> batchSizes_;
  std::mutex joinMutex_;
  std::vector<std::thread> executors_;
};

// Stops every live batcher (running batches finish, queued requests fail with Disposed), for a
// process about to exit: nothing may run while libtorch's static state is torn down.
void stopAllBatchers();

}  // namespace edge
