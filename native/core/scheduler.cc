#include "scheduler.h"

#include "parallel.h"

#include <algorithm>
#include <exception>
#include <future>
#include <string>

#include "stopwatch.h"

namespace edge {

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int> replyFault{-1};

// Joins the lanes of a scheduler destroyed on one of its own lanes (a thread cannot join itself).
Executor& reaper() {
  static Executor executor;
  return executor;
}

double msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

Error asError(const std::exception& e) {
  if (const auto* error = dynamic_cast<const Error*>(&e)) return *error;
  return Error(ErrorCode::Internal, e.what());
}

bool batchable(RequestKind kind) { return kind == RequestKind::Images; }

// The rows [from, from + n) of `scores`.
Scores rowsOf(const Scores& scores, size_t from, size_t n) {
  Scores out;
  out.rows = static_cast<int>(n);
  out.cols = scores.cols;
  out.values.assign(scores.values.begin() + static_cast<std::ptrdiff_t>(from * scores.cols),
                    scores.values.begin() + static_cast<std::ptrdiff_t>((from + n) * scores.cols));
  out.prepareMs = scores.prepareMs;
  out.runMs = scores.runMs;
  return out;
}

// Builds the reply's results when its request asked for them; the scores are then not sent.
void withResults(const Request& request, Reply& reply) {
  if (!request.results) return;
  const size_t rows = static_cast<size_t>(reply.scores.rows), cols = static_cast<size_t>(reply.scores.cols);
  std::vector<ImageResult> results(rows);
  // large batches of many classes on the compute team's threads (a batch of 64 x 1000 is ~1-5 ms on one)
  parallelFor(rows, rows * cols >= 32768 ? 0 : 1, [&](size_t r) {
    results[r] = buildResult(reply.scores.values.data() + r * cols, static_cast<int>(cols), *request.results);
  });
  reply.results = pack(std::move(results), request.results->task == ResultTask::MultiLabel);
  reply.scores.values = {};
}

void append(Scores& into, const Scores& more) {
  if (into.rows == 0) into.cols = more.cols;
  into.values.insert(into.values.end(), more.values.begin(), more.values.end());
  into.rows += more.rows;
  into.prepareMs += more.prepareMs;
  into.runMs += more.runMs;
}

}  // namespace

void setReplyFault(int position) { replyFault.store(position); }

void stopSharedThreads() {
  torchThread().stop();
  reaper().stop();
}

size_t Request::count() const {
  switch (kind) {
    case RequestKind::Infer:
    case RequestKind::Tokens: return rows > 0 ? static_cast<size_t>(rows) : 0;
    default: return isEncoded() ? encoded.size() : frames.size();
  }
}

uint64_t Request::pixels() const {
  uint64_t total = 0;
  for (const ImageView& f : frames) total += static_cast<uint64_t>(std::max(0, f.width)) * static_cast<uint64_t>(std::max(0, f.height));
  return total;
}

std::shared_ptr<Scheduler> Scheduler::create(std::unique_ptr<Classifier> classifier) {
  std::shared_ptr<Scheduler> scheduler(new Scheduler(std::move(classifier)));  // private constructor
  scheduler->startLanes();
  return scheduler;
}

Scheduler::Scheduler(std::unique_ptr<Classifier> classifier)
    : classifier_(std::move(classifier)),
      backendName_(classifier_->backend().name()),
      device_(classifier_->backend().device()),
      gpuDecode_(classifier_->backend().gpuDecode()) {
  counts_.batchSizes.assign(static_cast<size_t>(options_.maxBatchSize) + 1, 0);
}

void Scheduler::startLanes() {
  const bool cpu = device_ == "cpu";
  const int lanes = cpu ? 1 : std::max(1, classifier_->backend().concurrency());
  lanes_.resize(static_cast<size_t>(lanes));
  for (Lane& lane : lanes_) {
    if (cpu) {
      lane.executor = &torchThread();
    } else {
      lane.own = std::make_unique<Executor>();
      lane.executor = lane.own.get();
    }
  }
  counts_.lanes = lanes;
}

Scheduler::~Scheduler() {
  failQueued("the model was disposed before this request ran");
  // Nothing runs: every task of a lane holds a reference while it runs, and this is the last one.
  classifier_.reset();
  retireLanes();
}

// Stops the lanes of its own and joins them; when called on one of them (a thread cannot join
// itself) they are marked stopping here and joined by the reaper.
void Scheduler::retireLanes() {
  std::vector<std::unique_ptr<Executor>> own;
  bool onOwnLane = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Lane& lane : lanes_) {
      if (!lane.own) continue;
      onOwnLane = onOwnLane || lane.own->onThread();
      own.push_back(std::move(lane.own));
      lane.executor = nullptr;
    }
  }
  for (auto& e : own) e->stop();  // joins, except the current thread's own
  if (!onOwnLane) return;
  auto handoff = std::make_shared<std::vector<std::unique_ptr<Executor>>>(std::move(own));
  if (!reaper().post([handoff] { handoff->clear(); })) {
    // The process is exiting: the threads end with it; the executors are left to it.
    for (auto& e : *handoff) e.release();
  }
}

void Scheduler::startBatching(const BatchOptions& options) {
  if (options.maxBatchSize < 1 || options.maxBatchSize > kMaxBatchSize) {
    throw Error(ErrorCode::InvalidArgument, "maxBatchSize must be from 1 to " + std::to_string(kMaxBatchSize) + ", got " +
                                                std::to_string(options.maxBatchSize));
  }
  if (!(options.maxDelayMs >= 0)) throw Error(ErrorCode::InvalidArgument, "maxDelayMs must be >= 0");
  if (options.maxQueue < 1) throw Error(ErrorCode::InvalidArgument, "maxQueue must be at least 1");
  std::lock_guard<std::mutex> lock(mutex_);
  if (batchingSet_) {
    throw Error(ErrorCode::InvalidArgument, "the model's batching was already started; load the model again to change it");
  }
  if (state_ != State::Ready) throw Error(ErrorCode::Disposed, "the model was disposed; load it again to classify");
  batchingSet_ = true;
  options_ = options;
  counts_.batchSizes.assign(static_cast<size_t>(options_.maxBatchSize) + 1, 0);
}

void Scheduler::configure(const ClassifierConfig& config) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ != State::Ready || !classifier_) throw Error(ErrorCode::Disposed, "the model was disposed; load it again to classify");
  classifier_->configure(config);  // validates; calls in flight keep the config they started with
}

std::shared_ptr<const ClassifierConfig> Scheduler::config() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return classifier_ ? classifier_->config() : nullptr;
}

void Scheduler::submit(Request request) {
  const size_t n = request.count();
  const uint64_t pixels = request.pixels();
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (state_ != State::Ready) throw Error(ErrorCode::Disposed, "the model was disposed; load it again to classify");
    if (lanes_[0].executor == nullptr || lanes_[0].executor->stopped()) throw Error(ErrorCode::Disposed, "the process is exiting");
    if (n == 0) throw Error(ErrorCode::InvalidArgument, "a request needs at least one image");
    // A request alone may exceed the bounds (it must be able to run); otherwise they hold.
    if (queuedImages_ > 0 && queuedImages_ + n > options_.maxQueue) {
      throw Error(ErrorCode::QueueFull, "the model's queue holds " + std::to_string(queuedImages_) +
                                            " images, its limit (maxQueue) is " + std::to_string(options_.maxQueue) +
                                            "; retry later, or raise maxQueue");
    }
    if (options_.maxQueuedPixels > 0 && queuedPixels_ > 0 && queuedPixels_ + pixels > options_.maxQueuedPixels) {
      throw Error(ErrorCode::QueueFull, "the model's queue holds " + std::to_string(queuedPixels_) +
                                            " decoded pixels, its limit is " + std::to_string(options_.maxQueuedPixels) +
                                            "; retry later, or raise the limit");
    }
    queuedImages_ += n;
    queuedPixels_ += pixels;
    counts_.submitted += 1;
    queue_.push_back(Queued{std::move(request), Clock::now(), pixels, 0});
    kick(lock);
  }
}

// Infer, preprocess and tokens requests run by themselves, and so do image requests larger than a
// batch (in chunks, runAlone()); the others are batched with their neighbours in the queue.
bool Scheduler::runsAlone(const Request& request) const {
  return !batchable(request.kind) || request.count() > static_cast<size_t>(options_.maxBatchSize);
}

void Scheduler::kick(std::unique_lock<std::mutex>&) {
  if (queue_.empty() || state_ != State::Ready) return;
  if (running_ >= static_cast<int>(lanes_.size())) return;
  // A full batch is ready now: an idle lane waiting on a timed pump gets an immediate one as well.
  const bool full = queuedImages_ >= static_cast<size_t>(options_.maxBatchSize) || !batchable(queue_.front().request.kind);
  for (size_t i = 0; i < lanes_.size(); ++i) {
    Lane& lane = lanes_[i];
    if (lane.busy || lane.immediate) continue;
    if (lane.pumps == 0 || full) {
      post(i, std::nullopt);
      return;
    }
  }
}

void Scheduler::post(size_t lane, std::optional<Clock::time_point> at) {
  std::weak_ptr<Scheduler> weak = weak_from_this();
  const bool timed = at.has_value();
  auto task = [weak, lane, timed] {
    if (auto self = weak.lock()) self->pump(lane, timed);
  };
  const bool posted = timed ? lanes_[lane].executor->postAt(*at, std::move(task)) : lanes_[lane].executor->post(std::move(task));
  if (!posted) return;
  lanes_[lane].pumps += 1;
  if (!timed) lanes_[lane].immediate = true;
}

void Scheduler::pump(size_t index, bool timed) {
  std::unique_lock<std::mutex> lock(mutex_);
  Lane& lane = lanes_[index];
  lane.pumps -= 1;
  if (!timed) lane.immediate = false;
  if (lane.busy) return;
  std::optional<Clock::time_point> wakeAt;
  std::vector<Queued> batch = take(lock, wakeAt);
  if (batch.empty()) {
    if (wakeAt && lane.pumps == 0) post(index, wakeAt);
    kick(lock);
    return;
  }
  lane.busy = true;
  running_ += 1;
  kick(lock);  // another lane may take the next batch
  lock.unlock();
  run(batch, static_cast<int>(index));
  lock.lock();
  lane.busy = false;
  running_ -= 1;
  idle_.notify_all();
  kick(lock);
}

// Takes the requests of the next batch off the queue when it is ready (cancelled ones complete as
// aborted): the first request, then following image requests while they fit. Not ready while the
// first request's maxDelayMs runs and the batch is not full: `wakeAt` says until when.
std::vector<Scheduler::Queued> Scheduler::take(std::unique_lock<std::mutex>& lock, std::optional<Clock::time_point>& wakeAt) {
  std::vector<Queued> aborted;
  while (!queue_.empty() && queue_.front().request.cancelled->load()) {
    queuedImages_ -= queue_.front().request.count();
    queuedPixels_ -= queue_.front().pixels;
    aborted.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  std::vector<Queued> batch;
  if (!queue_.empty() && state_ == State::Ready) {
    const size_t limit = static_cast<size_t>(options_.maxBatchSize);
    const Queued& first = queue_.front();
    const bool alone = runsAlone(first.request);
    size_t images = 0;
    size_t end = 0;  // requests [0, end) form the batch
    if (alone || !options_.combine) {
      end = 1;
      images = first.request.count();
    } else {
      const bool encoded = first.request.isEncoded();
      for (const Queued& q : queue_) {
        if (q.request.cancelled->load()) break;  // taken out on the next pass
        if (!batchable(q.request.kind) || q.request.isEncoded() != encoded || images + q.request.count() > limit) break;
        images += q.request.count();
        ++end;
      }
    }
    const bool complete = alone || !options_.combine || images >= limit || end < queue_.size();
    const Clock::time_point deadline =
        first.at + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(options_.maxDelayMs));
    if (complete || Clock::now() >= deadline) {
      for (size_t i = 0; i < end; ++i) {
        queuedImages_ -= queue_.front().request.count();
        queuedPixels_ -= queue_.front().pixels;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    } else {
      wakeAt = deadline;
    }
  }
  if (!aborted.empty()) {
    lock.unlock();
    const Error error(ErrorCode::Aborted, "the request was aborted before it ran");
    for (Queued& q : aborted) fail(q, error);
    lock.lock();
  }
  return batch;
}

void Scheduler::run(std::vector<Queued>& batch, int lane) {
  const Clock::time_point start = Clock::now();
  for (Queued& q : batch) q.queuedMs = msBetween(q.at, start);
  if (runsAlone(batch[0].request)) {
    Reply reply = runAlone(batch[0], lane);
    reply.queuedMs = batch[0].queuedMs;
    complete(batch[0], std::move(reply));
    return;
  }
  // Requests whose pixels are unusable fail alone, before the batch is formed.
  std::vector<Queued> valid;
  valid.reserve(batch.size());
  const auto config = classifier_->config();
  for (Queued& q : batch) {
    try {
      for (const ImageView& image : q.request.frames) validateImage(image, config->maxPixels);
      valid.push_back(std::move(q));
    } catch (const std::exception& e) {
      fail(q, asError(e));
    }
  }
  if (valid.empty()) return;
  std::vector<Reply> replies;
  try {
    replies = runTogether(valid, lane);
  } catch (const std::exception& e) {
    if (valid.size() == 1) {
      fail(valid[0], asError(e));
      return;
    }
    // The batch failed as a whole: run each request alone so that only the culprit fails. Nothing
    // was completed yet (all replies are built before any completes).
    for (Queued& q : valid) {
      std::vector<Queued> one;
      one.push_back(std::move(q));
      try {
        std::vector<Reply> reply = runTogether(one, lane);
        reply[0].queuedMs = one[0].queuedMs;
        complete(one[0], std::move(reply[0]));
      } catch (const std::exception& e2) {
        fail(one[0], asError(e2));
      }
    }
    return;
  }
  for (size_t i = 0; i < valid.size(); ++i) {
    replies[i].queuedMs = valid[i].queuedMs;
    complete(valid[i], std::move(replies[i]));
  }
}

// Runs image requests as one batch and builds every reply; throws (completing none) when it fails.
std::vector<Reply> Scheduler::runTogether(std::vector<Queued>& batch, int lane) {
  const Stopwatch since;
  Scores scores;
  std::vector<std::pair<int, int>> sizes;
  if (batch[0].request.isEncoded()) {
    std::vector<EncodedView> all;
    for (Queued& q : batch) all.insert(all.end(), q.request.encoded.begin(), q.request.encoded.end());
    scores = classifier_->classifyEncoded(lane, all, &sizes);
  } else {
    std::vector<ImageView> all;
    for (Queued& q : batch) all.insert(all.end(), q.request.frames.begin(), q.request.frames.end());
    scores = classifier_->classify(lane, all);
  }
  const double computeMs = since.ms();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    counts_.batches += 1;
    counts_.executions += 1;
    counts_.images += static_cast<uint64_t>(scores.rows);
    counts_.batchSizes[std::min<size_t>(static_cast<size_t>(scores.rows), counts_.batchSizes.size() - 1)] += 1;
  }
  std::vector<Reply> replies;
  replies.reserve(batch.size());
  size_t row = 0;
  const int fault = replyFault.load();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (fault >= 0 && static_cast<size_t>(fault) == i) throw Error(ErrorCode::Internal, "injected fault: building a reply failed");
    const size_t n = batch[i].request.count();
    Reply reply;
    reply.batchSize = scores.rows;
    reply.computeMs = computeMs;
    reply.scores = rowsOf(scores, row, n);
    withResults(batch[i].request, reply);
    if (!sizes.empty()) reply.sizes.assign(sizes.begin() + static_cast<std::ptrdiff_t>(row), sizes.begin() + static_cast<std::ptrdiff_t>(row + n));
    row += n;
    replies.push_back(std::move(reply));
  }
  return replies;
}

// A request that runs by itself: infer, preprocess, tokens, or images beyond maxBatchSize, in
// chunks of maxBatchSize (the backend never sees a batch larger than that).
Reply Scheduler::runAlone(Queued& queued, int lane) {
  Reply reply;
  const Request& r = queued.request;
  const size_t chunk = static_cast<size_t>(options_.maxBatchSize);
  const size_t n = r.count();
  const Stopwatch since;
  uint64_t executions = 0;
  std::vector<size_t> chunks;  // image batches run (their sizes)
  try {
    switch (r.kind) {
      case RequestKind::Images:
        for (size_t from = 0; from < n; from += chunk) {
          const size_t k = std::min(chunk, n - from);
          if (r.isEncoded()) {
            std::vector<EncodedView> part(r.encoded.begin() + static_cast<std::ptrdiff_t>(from), r.encoded.begin() + static_cast<std::ptrdiff_t>(from + k));
            std::vector<std::pair<int, int>> sizes;
            append(reply.scores, classifier_->classifyEncoded(lane, part, &sizes));
            reply.sizes.insert(reply.sizes.end(), sizes.begin(), sizes.end());
          } else {
            std::vector<ImageView> part(r.frames.begin() + static_cast<std::ptrdiff_t>(from), r.frames.begin() + static_cast<std::ptrdiff_t>(from + k));
            append(reply.scores, classifier_->classify(lane, part));
          }
          ++executions;
          chunks.push_back(k);
        }
        reply.batchSize = static_cast<int>(std::min(chunk, n));
        withResults(r, reply);
        break;
      case RequestKind::Preprocess:
        reply.tensor = r.isEncoded() ? classifier_->preprocessEncoded(lane, r.encoded) : classifier_->preprocess(lane, r.frames);
        reply.batchSize = static_cast<int>(n);
        break;
      case RequestKind::Infer: {
        const size_t per = n > 0 ? r.tensorLength / n : 0;
        if (per * n != r.tensorLength || per != classifier_->config()->spec.imageSize()) {
          // Classifier::infer explains the mismatch.
          reply.scores = classifier_->infer(lane, r.tensor, r.tensorLength, r.rows);
          ++executions;
          break;
        }
        for (size_t from = 0; from < n; from += chunk) {
          const size_t k = std::min(chunk, n - from);
          append(reply.scores, classifier_->infer(lane, r.tensor + from * per, k * per, static_cast<int>(k)));
          ++executions;
        }
        reply.batchSize = static_cast<int>(std::min(chunk, n));
        break;
      }
      case RequestKind::Tokens:
        reply.scores = classifier_->runTokens(lane, r.tokens, r.rows, r.tokenLength);
        reply.batchSize = r.rows;
        ++executions;
        break;
    }
  } catch (const std::exception& e) {
    reply = Reply{};
    reply.error = asError(e);
  }
  reply.computeMs = since.ms();
  std::lock_guard<std::mutex> lock(mutex_);
  counts_.executions += executions;
  // batches and images count classified images; infer() and tokens are counted in executions
  for (size_t k : chunks) {
    counts_.batches += 1;
    counts_.images += k;
    counts_.batchSizes[std::min<size_t>(k, counts_.batchSizes.size() - 1)] += 1;
  }
  return reply;
}

void Scheduler::complete(Queued& queued, Reply&& reply) {
  std::function<void(Reply&&)> done = std::exchange(queued.request.done, nullptr);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    counts_.completed += 1;
    if (reply.error) {
      counts_.failed += 1;
    } else {
      counts_.succeeded += 1;
      counts_.queueMsTotal += reply.queuedMs;
      counts_.computeMsTotal += reply.computeMs;
    }
  }
  if (done) done(std::move(reply));
}

void Scheduler::fail(Queued& queued, const Error& error) {
  Reply reply;
  reply.error = error;
  complete(queued, std::move(reply));
}

std::vector<Scheduler::Queued> Scheduler::drain() {
  std::vector<Queued> dropped;
  dropped.reserve(queue_.size());
  for (Queued& q : queue_) dropped.push_back(std::move(q));
  queue_.clear();
  queuedImages_ = 0;
  queuedPixels_ = 0;
  return dropped;
}

void Scheduler::dispose(std::function<void()> released) {
  std::vector<Queued> dropped;
  bool releaseNow = false;
  bool alreadyReleased = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::Disposed) {
      alreadyReleased = true;
    } else {
      if (released) onReleased_.push_back(std::move(released));
      if (state_ == State::Ready) state_ = State::Draining;
      dropped = drain();
      if (!releasePosted_) {
        releasePosted_ = true;
        // shared: the release task keeps the scheduler until it has run
        std::shared_ptr<Scheduler> self = shared_from_this();
        releaseNow = lanes_[0].executor == nullptr || !lanes_[0].executor->post([self] { self->release(); });
      }
    }
  }
  const Error disposed(ErrorCode::Disposed, "the model was disposed before this request ran");
  for (Queued& q : dropped) fail(q, disposed);
  if (alreadyReleased && released) released();
  if (releaseNow) release();  // the lanes have stopped (process exit): nothing runs any more
}

void Scheduler::release() {
  std::vector<std::function<void()>> callbacks;
  std::unique_ptr<Classifier> dying;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return running_ == 0; });
    state_ = State::Disposed;
    dying = std::move(classifier_);
  }
  dying.reset();  // frees weights, graphs, pinned and device memory, engines
  {
    std::lock_guard<std::mutex> lock(mutex_);
    callbacks.swap(onReleased_);
  }
  for (auto& callback : callbacks) callback();
  retireLanes();  // nothing is posted to them any more (the state is Disposed)
}

void Scheduler::disposeAndWait() {
  auto freed = std::make_shared<std::promise<void>>();
  std::future<void> done = freed->get_future();
  dispose([freed] { freed->set_value(); });
  done.wait();
}

void Scheduler::failQueued(const char* why) {
  std::vector<Queued> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::Ready) state_ = State::Draining;
    dropped = drain();
  }
  const Error disposed(ErrorCode::Disposed, why);
  for (Queued& q : dropped) fail(q, disposed);
}

void Scheduler::closeForExit() {
  failQueued("the process is exiting");
  for (Lane& lane : lanes_) {
    if (lane.own) lane.own->stop();  // joins: its running batch finishes
  }
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return running_ == 0; });
}

std::optional<std::pair<size_t, size_t>> Scheduler::deviceMemory() const {
  std::lock_guard<std::mutex> lock(mutex_);  // the classifier stays while the lock is held
  return classifier_ ? classifier_->backend().deviceMemory() : std::nullopt;
}

SchedulerCounters Scheduler::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  SchedulerCounters c = counts_;
  c.queuedImages = queuedImages_;
  c.queuedPixels = queuedPixels_;
  c.queuedRequests = queue_.size();
  c.running = running_;
  return c;
}

}  // namespace edge
