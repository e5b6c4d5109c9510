// The one owner of a loaded model. A Scheduler owns its Classifier (backend,
// weights, CUDA graphs, pinned and device memory) and the lanes it runs on;
// every call on the model — classify, outputs, infer, preprocess, tokens,
// warm-up — is a Request submitted here, and nothing else touches the backend.
//
// Lanes: a CPU model has one lane, the process's torch thread (executor.h),
// shared by every CPU model, so that all libtorch CPU work of the process stays
// on one thread; a CUDA model has one lane per batch it can run at once (its
// CUDA streams), each an executor of its own. A lane runs a "pump": take the
// next batch off the queue and run it where it is, then pump again.
//
// Batching: requests of images (frames, or JPEGs for the GPU decoder) are
// gathered into batches of up to maxBatchSize images, waiting at most
// maxDelayMs after the first for more; a request larger than maxBatchSize runs
// alone, in chunks of maxBatchSize. infer, preprocess and tokens requests run
// alone, in queue order. With `combine` off every request runs as its own
// batch (a request of n images is one batch of n, chunked past maxBatchSize).
//
// Life cycle: ready -> draining -> disposed. dispose() refuses new requests,
// completes queued ones with Error(Disposed), lets running batches finish,
// frees the classifier on a lane (where its libtorch state belongs) and then
// calls its callback. closeForExit() does the same without freeing, for a
// process that is about to exit.
//
// Every request completes exactly once through its `done`, on a lane (or on the
// caller's thread for a request refused at dispose). All replies of a batch are
// built before any is completed.
// Plain C++: no Node here.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "classifier.h"
#include "error.h"
#include "executor.h"
#include "image.h"
#include "results.h"

namespace edge {

// The largest batch: the CUDA preprocessing kernel puts images on gridDim.y (at most 65535).
constexpr int kMaxBatchSize = 65535;

struct BatchOptions {
  int maxBatchSize = 32;       // images per batch; a larger request runs alone, in chunks of this size
  double maxDelayMs = 0;       // how long the first request of a batch waits for company
  size_t maxQueue = 4096;      // images waiting (not running) before submit() refuses with QueueFull
  uint64_t maxQueuedPixels = 0;  // decoded pixels waiting before submit() refuses with QueueFull; 0 = no bound
  bool combine = true;         // false: every request runs as its own batch (never combined with others)
};

enum class RequestKind {
  Images,      // classify: frames or JPEGs -> scores (batched)
  Preprocess,  // frames or JPEGs -> the model's input tensor
  Infer,       // an NCHW tensor -> scores
  Tokens,      // rows of token ids -> raw outputs
};

struct Reply {
  Scores scores;                            // rows = this request's images (values left empty when `results` are built)
  std::optional<PackedResults> results;     // when the request asked for results: its images', packed
  std::vector<float> tensor;                // Preprocess: n*3*H*W floats
  std::vector<std::pair<int, int>> sizes;   // decoded sizes (encoded requests)
  std::optional<Error> error;               // set when the request failed
  int batchSize = 0;                        // images in the batch it ran in
  double queuedMs = 0;                      // from submit() to the start of its batch
  double computeMs = 0;                     // the batch's run on its lane
};

struct Request {
  RequestKind kind = RequestKind::Images;
  std::vector<ImageView> frames;     // decoded pixels, or
  std::vector<EncodedView> encoded;  // JPEG bytes for the GPU decoder
  const float* tensor = nullptr;     // Infer: rows*3*H*W floats, read in place
  size_t tensorLength = 0;
  const int32_t* tokens = nullptr;   // Tokens: rows*tokenLength ids, read in place
  int tokenLength = 0;
  int rows = 0;                      // Infer / Tokens: images or token rows
  std::shared_ptr<const ResultSpec> results;  // Images: build each image's result on the lane (results.h)
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
  std::function<void(Reply&&)> done;  // called exactly once

  bool isEncoded() const { return !encoded.empty(); }
  size_t count() const;   // images (or rows) in the request
  uint64_t pixels() const;  // decoded pixels it holds (frames only)
};

struct SchedulerCounters {
  uint64_t batches = 0;
  uint64_t images = 0;
  std::vector<uint64_t> batchSizes;  // batchSizes[k] = batches of k images (index 0 unused)
  size_t queuedImages = 0;
  uint64_t queuedPixels = 0;
  size_t queuedRequests = 0;
  int running = 0;                   // batches on lanes now
  uint64_t submitted = 0;            // requests accepted by submit()
  uint64_t completed = 0;            // `done` calls (== submitted once everything has settled)
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  double queueMsTotal = 0;           // summed over completed requests that ran
  double computeMsTotal = 0;
  uint64_t executions = 0;           // backend runs (batches and chunks)
  int lanes = 0;
};

class Scheduler : public std::enable_shared_from_this<Scheduler> {
 public:
  // Takes the classifier; lanes as described above. Use create(): tasks hold weak references.
  static std::shared_ptr<Scheduler> create(std::unique_ptr<Classifier> classifier);
  ~Scheduler();  // closeForExit() if still live; lanes of its own are joined (or handed off when on one)
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Sets the batching options once, before or after the first request. Throws InvalidArgument when
  // they are out of range, and when called a second time.
  void startBatching(const BatchOptions& options);
  // Queues a request. Throws Error(QueueFull) past maxQueue / maxQueuedPixels, Error(Disposed) once
  // disposing, InvalidArgument for an empty request.
  void submit(Request request);
  // Swaps the preprocessing/activation config (validated; calls in flight keep theirs).
  void configure(const ClassifierConfig& config);
  std::shared_ptr<const ClassifierConfig> config() const;
  // Starts disposing (idempotent); `released` runs once the classifier is freed (on a lane, or on the
  // calling thread when the lanes have stopped). Later calls add their callback.
  void dispose(std::function<void()> released);
  // dispose(), then waits until the classifier is freed (for an environment that is ending).
  void disposeAndWait();
  // For a process about to exit: queued requests fail with Disposed, running batches finish (it
  // waits for them), lanes of its own stop; nothing is freed.
  void closeForExit();
  SchedulerCounters counters() const;
  // Free and total bytes of the model's GPU (a device query; nullopt on the CPU and once freed).
  std::optional<std::pair<size_t, size_t>> deviceMemory() const;

  // The backend's fixed facts, read at creation.
  const std::string& backendName() const { return backendName_; }
  const std::string& device() const { return device_; }
  bool gpuDecode() const { return gpuDecode_; }

 private:
  struct Queued {
    Request request;
    std::chrono::steady_clock::time_point at;  // submitted
    uint64_t pixels;                           // request.pixels(), counted once
    double queuedMs;                           // set when its batch starts
  };
  struct Lane {
    Executor* executor = nullptr;
    std::unique_ptr<Executor> own;  // CUDA lanes; null for the torch thread
    bool busy = false;
    int pumps = 0;                  // pumps posted to it, not yet run
    bool immediate = false;         // one of them is not timed
  };
  enum class State { Ready, Draining, Disposed };

  explicit Scheduler(std::unique_ptr<Classifier> classifier);
  void startLanes();
  // Posts a pump to an idle lane without one, when there is work. Lock held.
  void kick(std::unique_lock<std::mutex>& lock);
  bool runsAlone(const Request& request) const;
  void post(size_t lane, std::optional<std::chrono::steady_clock::time_point> at);
  void pump(size_t lane, bool timed);
  // Takes the next batch when it is ready; sets `wakeAt` when it will be. Lock held.
  std::vector<Queued> take(std::unique_lock<std::mutex>& lock, std::optional<std::chrono::steady_clock::time_point>& wakeAt);
  void run(std::vector<Queued>& batch, int lane);
  std::vector<Reply> runTogether(std::vector<Queued>& batch, int lane);
  Reply runAlone(Queued& queued, int lane);
  void complete(Queued& queued, Reply&& reply);
  void fail(Queued& queued, const Error& error);
  void release();  // on a lane: frees the classifier once no batch runs
  void retireLanes();
  std::vector<Queued> drain();  // lock held: takes the queue
  void failQueued(const char* why);  // draining from now on; the queue fails with Disposed(why)

  std::unique_ptr<Classifier> classifier_;
  const std::string backendName_;
  const std::string device_;
  const bool gpuDecode_;
  BatchOptions options_;
  bool batchingSet_ = false;

  mutable std::mutex mutex_;
  std::condition_variable idle_;  // a batch finished
  std::deque<Queued> queue_;
  size_t queuedImages_ = 0;
  uint64_t queuedPixels_ = 0;
  State state_ = State::Ready;
  bool releasePosted_ = false;
  std::vector<std::function<void()>> onReleased_;
  std::vector<Lane> lanes_;
  int running_ = 0;
  SchedulerCounters counts_;
};

// Test hook (fault injection): when >= 0, building the reply of the request at this position in a
// batch throws, as a failure to build a reply would. -1 (the default) disables it.
void setReplyFault(int position);

// For a process about to exit, after closeForExit() on its schedulers: stops the torch thread and
// the thread that joins lanes handed off by a scheduler destroyed on one of its own lanes.
void stopSharedThreads();

}  // namespace edge
