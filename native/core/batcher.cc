#include "batcher.h"

#include <algorithm>
#include <exception>
#include <string>

#include "stopwatch.h"

namespace edge {

namespace {

using Clock = std::chrono::steady_clock;

// Live batchers, for stopAllBatchers().
struct Registry {
  std::mutex mutex;
  std::vector<Batcher*> live;
};

Registry& registry() {
  static Registry r;
  return r;
}

double msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

Error asError(const std::exception& e) {
  if (const auto* error = dynamic_cast<const Error*>(&e)) return *error;
  return Error(ErrorCode::Internal, e.what());
}

void complete(Request& request, Reply&& reply) {
  if (request.done) request.done(std::move(reply));
}

void fail(Request& request, const Error& error) {
  Reply reply;
  reply.error = error;
  complete(request, std::move(reply));
}

}  // namespace

void stopAllBatchers() {
  std::vector<Batcher*> live;
  {
    std::lock_guard<std::mutex> lock(registry().mutex);
    live = registry().live;
  }
  for (Batcher* b : live) b->stop();
}

Batcher::Batcher(std::shared_ptr<Classifier> classifier, BatchOptions options)
    : classifier_(std::move(classifier)), options_(options) {
  if (options_.maxBatchSize < 1) throw Error(ErrorCode::InvalidArgument, "maxBatchSize must be at least 1");
  if (options_.maxDelayMs < 0) throw Error(ErrorCode::InvalidArgument, "maxDelayMs must be >= 0");
  batchSizes_.assign(static_cast<size_t>(options_.maxBatchSize) + 1, 0);
  Registry& r = registry();
  const int executors = std::max(1, options_.executors);
  for (int i = 0; i < executors; ++i) executors_.emplace_back([this] { loop(); });
  std::lock_guard<std::mutex> lock(r.mutex);
  r.live.push_back(this);
}

Batcher::~Batcher() {
  stop();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.live.erase(std::remove(r.live.begin(), r.live.end(), this), r.live.end());
}

void Batcher::stop() {
  close();
  std::lock_guard<std::mutex> lock(joinMutex_);
  for (std::thread& t : executors_) {
    if (t.joinable()) t.join();
  }
}

void Batcher::submit(Request request) {
  const size_t n = request.count();
  if (n == 0) throw Error(ErrorCode::InvalidArgument, "a request needs at least one image");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) throw Error(ErrorCode::Disposed, "the model was disposed; load it again to classify");
    // A request alone may exceed maxQueue (it must be able to run); otherwise the bound holds.
    if (queuedImages_ > 0 && queuedImages_ + n > options_.maxQueue) {
      throw Error(ErrorCode::QueueFull, "the model's queue holds " + std::to_string(queuedImages_) +
                                            " images, its limit (maxQueue) is " + std::to_string(options_.maxQueue) +
                                            "; retry later, or raise maxQueue");
    }
    queuedImages_ += n;
    queue_.push_back(Queued{std::move(request), Clock::now()});
  }
  wake_.notify_one();
}

void Batcher::close() {
  std::deque<Queued> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
    dropped.swap(queue_);
    queuedImages_ = 0;
  }
  wake_.notify_all();
  const Error disposed(ErrorCode::Disposed, "the model was disposed before this request ran");
  for (Queued& q : dropped) fail(q.request, disposed);
}

BatcherCounters Batcher::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  BatcherCounters c;
  c.batches = batches_;
  c.images = images_;
  c.batchSizes = batchSizes_;
  c.queuedImages = queuedImages_;
  c.queuedRequests = queue_.size();
  c.running = running_ > 0;
  return c;
}

void Batcher::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return closed_ || !queue_.empty(); });
    if (closed_ && queue_.empty()) return;
    std::vector<Queued> batch = gather(lock);
    if (batch.empty()) continue;
    ++running_;
    lock.unlock();
    run(batch);
    lock.lock();
    --running_;
  }
}

// Takes the requests of the next batch off the queue (cancelled ones complete as aborted): the first
// request, then following requests of the same kind while they fit, waiting up to maxDelayMs.
std::vector<Batcher::Queued> Batcher::gather(std::unique_lock<std::mutex>& lock) {
  std::vector<Queued> batch;
  std::vector<Queued> aborted;
  size_t images = 0;
  const size_t limit = static_cast<size_t>(options_.maxBatchSize);
  std::optional<Clock::time_point> deadline;
  bool encoded = false;
  for (;;) {
    while (!queue_.empty()) {
      Queued& front = queue_.front();
      if (front.request.cancelled->load()) {
        queuedImages_ -= front.request.count();
        aborted.push_back(std::move(front));
        queue_.pop_front();
        continue;
      }
      if (!batch.empty() && (front.request.isEncoded() != encoded || images + front.request.count() > limit)) break;
      if (batch.empty()) {
        encoded = front.request.isEncoded();
        deadline = front.at + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(options_.maxDelayMs));
      }
      images += front.request.count();
      queuedImages_ -= front.request.count();
      batch.push_back(std::move(front));
      queue_.pop_front();
    }
    const bool full = images >= limit || (!queue_.empty() && !batch.empty());  // the next one does not fit
    if (batch.empty() || full || closed_ || Clock::now() >= *deadline) break;
    wake_.wait_until(lock, *deadline, [this] { return closed_ || !queue_.empty(); });
    if (queue_.empty()) break;  // the delay ran out with nobody new
  }
  if (!aborted.empty()) {
    lock.unlock();
    const Error error(ErrorCode::Aborted, "the request was aborted before it ran");
    for (Queued& q : aborted) fail(q.request, error);
    lock.lock();
  }
  return batch;
}

void Batcher::run(std::vector<Queued>& batch) {
  // Requests whose pixels are unusable fail alone, before the batch is formed.
  std::vector<Queued> valid;
  valid.reserve(batch.size());
  const auto config = classifier_->config();
  for (Queued& q : batch) {
    try {
      for (const ImageView& image : q.request.frames) validateImage(image, config->maxPixels);
      valid.push_back(std::move(q));
    } catch (const std::exception& e) {
      fail(q.request, asError(e));
    }
  }
  if (valid.empty()) return;
  size_t images = 0;
  for (Queued& q : valid) images += q.request.count();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batches_ += 1;
    images_ += images;
    batchSizes_[std::min<size_t>(images, batchSizes_.size() - 1)] += 1;
  }
  try {
    runTogether(valid);
    return;
  } catch (const std::exception& e) {
    if (valid.size() == 1) {
      fail(valid[0].request, asError(e));
      return;
    }
  }
  // The batch failed as a whole: run each request alone so that only the culprit fails.
  for (Queued& q : valid) {
    std::vector<Queued> one;
    one.push_back(std::move(q));
    try {
      runTogether(one);
    } catch (const std::exception& e) {
      fail(one[0].request, asError(e));
    }
  }
}

// Runs the requests as one batch and completes each with its rows; throws when the batch fails.
void Batcher::runTogether(std::vector<Queued>& batch) {
  const Clock::time_point start = Clock::now();
  Scores scores;
  std::vector<std::pair<int, int>> sizes;
  if (batch[0].request.isEncoded()) {
    std::vector<EncodedView> all;
    for (Queued& q : batch) all.insert(all.end(), q.request.encoded.begin(), q.request.encoded.end());
    scores = classifier_->classifyEncoded(all, &sizes);
  } else {
    std::vector<ImageView> all;
    for (Queued& q : batch) all.insert(all.end(), q.request.frames.begin(), q.request.frames.end());
    scores = classifier_->classify(all);
  }
  const int batchSize = scores.rows;
  size_t row = 0;
  for (Queued& q : batch) {
    const size_t n = q.request.count();
    Reply reply;
    reply.batchSize = batchSize;
    reply.queuedMs = msBetween(q.at, start);
    reply.scores.rows = static_cast<int>(n);
    reply.scores.cols = scores.cols;
    reply.scores.values.assign(scores.values.begin() + static_cast<std::ptrdiff_t>(row * scores.cols),
                               scores.values.begin() + static_cast<std::ptrdiff_t>((row + n) * scores.cols));
    reply.scores.prepareMs = scores.prepareMs;
    reply.scores.totalMs = scores.totalMs;
    if (!sizes.empty()) reply.sizes.assign(sizes.begin() + static_cast<std::ptrdiff_t>(row), sizes.begin() + static_cast<std::ptrdiff_t>(row + n));
    row += n;
    complete(q.request, std::move(reply));
  }
}

}  // namespace edge
