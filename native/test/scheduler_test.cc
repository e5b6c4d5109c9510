// The scheduler without Node or libtorch: a fake backend behind the real
// Scheduler, Executor and Classifier, driven from many threads; and the CPU
// team's governor (its size rule, and its measurement from the kernel's
// counters with busy threads inside and outside the team). Built and run
// plainly, under ThreadSanitizer and under AddressSanitizer+UBSan by
// scripts/native-tests.sh (CI runs all three). Exits non-zero on the first
// failed check.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#ifdef __linux__
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "backend.h"
#include "classifier.h"
#include "executor.h"
#include "parallel.h"
#include "scheduler.h"
#include "team_governor.h"
#include "check.h"

using namespace edge;

namespace {

// Scores each image with [its first input value, the lane it ran on]; counts its lanes' use.
class FakeBackend final : public Backend {
 public:
  FakeBackend(std::string device, int lanes, std::atomic<int>* alive, int delayMs = 0)
      : device_(std::move(device)), lanes_(lanes), alive_(alive), delayMs_(delayMs), busy_(static_cast<size_t>(lanes)) {
    if (alive_) alive_->fetch_add(1);
  }
  ~FakeBackend() override {
    if (alive_) alive_->fetch_sub(1);
  }

  Outputs run(int lane, int n, int height, int width, const InputWriter& write) override {
    if (lane < 0 || lane >= lanes_) throw Error(ErrorCode::Internal, "bad lane");
    if (busy_[static_cast<size_t>(lane)].exchange(true)) overlapped.store(true);  // two calls on one lane
    std::vector<float> input(static_cast<size_t>(n) * 3 * height * width);
    write(input.data());
    if (delayMs_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delayMs_));
    Outputs out;
    out.rows = n;
    out.cols = 2;
    for (int i = 0; i < n; ++i) {
      out.values.push_back(input[static_cast<size_t>(i) * 3 * height * width]);
      out.values.push_back(static_cast<float>(lane));
    }
    busy_[static_cast<size_t>(lane)].store(false);
    return out;
  }
  int concurrency() const override { return lanes_; }
  std::string name() const override { return "fake"; }
  std::string device() const override { return device_; }

  static std::atomic<bool> overlapped;

 private:
  std::string device_;
  int lanes_;
  std::atomic<int>* alive_;
  int delayMs_;
  std::vector<std::atomic<bool>> busy_;
};
std::atomic<bool> FakeBackend::overlapped{false};

std::shared_ptr<Scheduler> makeScheduler(const std::string& device, int lanes, std::atomic<int>* alive, int delayMs = 0) {
  auto classifier = std::make_unique<Classifier>(std::make_unique<FakeBackend>(device, lanes, alive, delayMs));
  ClassifierConfig config;
  config.spec.width = 2;
  config.spec.height = 2;
  config.spec.mode = ResizeMode::Stretch;
  config.spec.mean = {0, 0, 0};
  config.spec.stdev = {1, 1, 1};
  config.activation = Activation::None;
  config.preprocessThreads = 1;
  classifier->configure(config);
  return Scheduler::create(std::move(classifier));
}

std::shared_ptr<Scheduler> batching(int maxBatchSize, double maxDelayMs) {
  auto scheduler = makeScheduler("cpu", 1, nullptr);
  BatchOptions options;
  options.maxBatchSize = maxBatchSize;
  options.maxDelayMs = maxDelayMs;
  scheduler->startBatching(options);
  return scheduler;
}

// A 1x1 RGB frame of value v: the fake backend scores it v/255.
struct Pixel {
  uint8_t rgb[3];
};

Request imageRequest(const Pixel& pixel, std::function<void(Reply&&)> done) {
  Request r;
  r.kind = RequestKind::Images;
  ImageView view;
  view.data = pixel.rgb;
  view.width = 1;
  view.height = 1;
  view.format = PixelFormat::RGB;
  view.byteLength = 3;
  r.frames.push_back(view);
  r.done = std::move(done);
  return r;
}

// Every request completes exactly once with its own pixel's score, from 8 submitting threads.
void concurrentSubmitters(const std::string& device, int lanes) {
  std::atomic<int> alive{0};
  auto scheduler = makeScheduler(device, lanes, &alive);
  BatchOptions options;
  options.maxBatchSize = 16;
  options.maxDelayMs = 1;
  options.maxQueue = 1 << 20;
  scheduler->startBatching(options);
  constexpr int kThreads = 8, kEach = 500;
  std::vector<Pixel> pixels(kThreads * kEach);
  std::vector<std::atomic<int>> completions(pixels.size());
  std::atomic<int> wrong{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const size_t k = static_cast<size_t>(t * kEach + i);
        const uint8_t v = static_cast<uint8_t>(k % 251);
        pixels[k] = Pixel{{v, v, v}};
        scheduler->submit(imageRequest(pixels[k], [&, k, v](Reply&& reply) {
          completions[k].fetch_add(1);
          if (reply.error || reply.scores.rows != 1 || std::abs(reply.scores.values[0] - v / 255.0) > 1e-6) wrong.fetch_add(1);
          done.fetch_add(1);
        }));
      }
    });
  }
  for (auto& t : threads) t.join();
  while (done.load() < static_cast<int>(pixels.size())) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (auto& c : completions) CHECK(c.load() == 1);
  CHECK(wrong.load() == 0);
  const SchedulerCounters c = scheduler->counters();
  CHECK(c.submitted == pixels.size());
  CHECK(c.images == pixels.size());
  CHECK(c.batches < pixels.size());  // batched
  std::promise<void> released;
  scheduler->dispose([&] { released.set_value(); });
  released.get_future().wait();
  CHECK(alive.load() == 0);  // the backend is freed before the callback
  CHECK(!FakeBackend::overlapped.load());
}

// dispose() with work queued and running: queued requests fail with Disposed, running ones finish,
// each completes once, the backend is freed, later submits throw Disposed.
void disposeInFlight(const std::string& device, int lanes) {
  std::atomic<int> alive{0};
  auto scheduler = makeScheduler(device, lanes, &alive, /*delayMs=*/5);
  BatchOptions options;
  options.maxBatchSize = 2;
  scheduler->startBatching(options);
  constexpr int kRequests = 50;
  std::vector<Pixel> pixels(kRequests, Pixel{{7, 7, 7}});
  std::atomic<int> ok{0}, disposed{0}, other{0};
  for (int i = 0; i < kRequests; ++i) {
    scheduler->submit(imageRequest(pixels[static_cast<size_t>(i)], [&](Reply&& reply) {
      if (!reply.error) ok.fetch_add(1);
      else if (reply.error->code() == ErrorCode::Disposed) disposed.fetch_add(1);
      else other.fetch_add(1);
    }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(8));
  std::promise<void> released;
  scheduler->dispose([&] { released.set_value(); });
  released.get_future().wait();
  CHECK(ok.load() + disposed.load() == kRequests);
  CHECK(other.load() == 0);
  CHECK(disposed.load() > 0);
  CHECK(alive.load() == 0);
  bool refused = false;
  try {
    scheduler->submit(imageRequest(pixels[0], [](Reply&&) {}));
  } catch (const Error& e) {
    refused = e.code() == ErrorCode::Disposed;
  }
  CHECK(refused);
}

// The last reference dropped on one of the scheduler's own lanes (in a completion): the scheduler is
// destroyed there and its lanes are joined elsewhere, without a deadlock or a thread joining itself.
void lastReferenceOnOwnLane() {
  std::atomic<int> alive{0};
  auto scheduler = makeScheduler("cuda:0", 2, &alive);
  std::promise<void> finished;
  Pixel pixel{{1, 2, 3}};
  auto holder = std::make_shared<std::shared_ptr<Scheduler>>(scheduler);
  scheduler.reset();
  (*holder)->submit(imageRequest(pixel, [holder, &finished](Reply&&) {
    holder->reset();  // the pump still holds one: the destructor runs when it returns, on this lane
    finished.set_value();
  }));
  finished.get_future().wait();
  for (int i = 0; i < 200 && alive.load() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(alive.load() == 0);
}

// Cancelled requests complete as Aborted; a request larger than maxBatchSize runs in chunks.
void cancelAndChunks() {
  auto scheduler = batching(3, 30);
  Pixel pixel{{9, 9, 9}};
  std::promise<ErrorCode> aborted;
  Request r = imageRequest(pixel, [&](Reply&& reply) { aborted.set_value(reply.error ? reply.error->code() : ErrorCode::Internal); });
  r.cancelled->store(true);
  scheduler->submit(std::move(r));
  CHECK(aborted.get_future().get() == ErrorCode::Aborted);

  Request big;
  big.kind = RequestKind::Images;
  for (int i = 0; i < 8; ++i) big.frames.push_back(imageRequest(pixel, nullptr).frames[0]);
  std::promise<Reply> reply;
  big.done = [&](Reply&& r2) { reply.set_value(std::move(r2)); };
  scheduler->submit(std::move(big));
  const Reply got = reply.get_future().get();
  CHECK(!got.error);
  CHECK(got.scores.rows == 8);
  const SchedulerCounters c = scheduler->counters();
  CHECK(c.batchSizes.size() == 4 && c.batchSizes[3] == 2 && c.batchSizes[2] == 1);
  bool twice = false;
  try {
    scheduler->startBatching(BatchOptions{});
  } catch (const Error& e) {
    twice = e.code() == ErrorCode::InvalidArgument;
  }
  CHECK(twice);
  scheduler->disposeAndWait();
}

// combine = false: queued requests are never put together; each runs as its own batch, a request of
// n images as one batch of n. (With combine on, the same queue forms batches of up to 4.)
void separateRequests(bool combine) {
  auto scheduler = makeScheduler("cpu", 1, nullptr, 20);  // 20 ms per batch: the others queue meanwhile
  BatchOptions options;
  options.maxBatchSize = 4;
  options.combine = combine;
  scheduler->startBatching(options);
  Pixel pixel{{9, 9, 9}};
  std::vector<std::future<bool>> done;
  auto submit = [&](int images) {
    auto promise = std::make_shared<std::promise<bool>>();
    done.push_back(promise->get_future());
    Request r = imageRequest(pixel, [promise, images](Reply&& reply) { promise->set_value(!reply.error && reply.scores.rows == images); });
    for (int i = 1; i < images; ++i) r.frames.push_back(r.frames[0]);
    scheduler->submit(std::move(r));
  };
  for (int i = 0; i < 6; ++i) submit(1);
  submit(3);
  for (auto& f : done) CHECK(f.get());
  const SchedulerCounters c = scheduler->counters();
  if (!combine) {
    CHECK(c.batchSizes.size() > 3 && c.batchSizes[1] == 6 && c.batchSizes[3] == 1);
    CHECK(c.batches == 7);
  } else {
    CHECK(c.batches < 7);  // the first runs alone, the queued ones together
  }
  scheduler->disposeAndWait();
}

// A failure while building reply k of a batch: every request still completes exactly once.
void replyFault() {
  auto scheduler = batching(8, 50);
  setReplyFault(2);
  std::vector<Pixel> pixels(5, Pixel{{4, 4, 4}});
  std::atomic<int> calls{0}, ok{0};
  for (auto& p : pixels) {
    scheduler->submit(imageRequest(p, [&](Reply&& reply) {
      calls.fetch_add(1);
      if (!reply.error) ok.fetch_add(1);
    }));
  }
  while (scheduler->counters().completed < pixels.size()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  setReplyFault(-1);
  CHECK(calls.load() == 5);
  CHECK(ok.load() == 5);
  CHECK(scheduler->counters().completed == 5);
  scheduler->disposeAndWait();
}

// closeForExit() fails queued requests and returns once running batches have finished.
void closeForExit() {
  auto scheduler = makeScheduler("cuda:0", 2, nullptr, /*delayMs=*/3);
  std::vector<Pixel> pixels(40, Pixel{{5, 5, 5}});
  std::atomic<int> settled{0};
  for (auto& p : pixels) scheduler->submit(imageRequest(p, [&](Reply&&) { settled.fetch_add(1); }));
  scheduler->closeForExit();
  CHECK(settled.load() == 40);
  CHECK(scheduler->counters().running == 0);
}

// Executor: a call() whose task is dropped by stop() gets Disposed instead of waiting forever;
// timed tasks run in order of their time.
void executorStop() {
  Executor executor;
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  executor.post([&] {
    started.set_value();
    gate.wait();
  });
  started.get_future().wait();
  std::atomic<int> outcome{0};  // 1 ran, 2 disposed
  std::thread caller([&] {
    try {
      executor.call([] { return 1; });
      outcome = 1;
    } catch (const Error& e) {
      outcome = e.code() == ErrorCode::Disposed ? 2 : 3;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::thread stopper([&] { executor.stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  release.set_value();
  stopper.join();
  caller.join();
  CHECK(outcome.load() == 2);
  CHECK(!executor.post([] {}));

  Executor timed;
  std::mutex m;
  std::vector<int> order;
  std::promise<void> all;
  const auto now = Executor::Clock::now();
  for (int i : {3, 1, 2}) {
    timed.postAt(now + std::chrono::milliseconds(10 * i), [&, i] {
      std::lock_guard<std::mutex> lock(m);
      order.push_back(i);
      if (order.size() == 3) all.set_value();
    });
  }
  all.get_future().wait();
  CHECK((order == std::vector<int>{1, 2, 3}));
}

// An executor with two workers at different nicenesses: the chooser says which one runs each task,
// tasks run one at a time and in order whichever runs them, and the workers' nicenesses are theirs.
void executorLanes() {
  std::atomic<size_t> lane{0};
  std::mutex leftMutex;
  std::vector<int> left;  // the niceness of each worker that left, in order
  auto selfNiceness = [] {
#ifdef __linux__
    return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
#else
    return 0;
#endif
  };
  Executor executor({0, 3}, [&lane] { return lane.load(); }, [&] {
    std::lock_guard<std::mutex> lock(leftMutex);
    left.push_back(selfNiceness());
  });
  CHECK(executor.workers() == 2 && !executor.onThread());
  const auto& niceness = selfNiceness;
  const int base = niceness();
  std::mutex m;
  std::vector<std::pair<int, int>> ran;  // (task, niceness of the thread that ran it)
  std::atomic<int> running{0}, overlapped{0};
  std::vector<std::future<void>> done;
  for (int i = 0; i < 40; ++i) {
    if (i % 10 == 0) lane = (i / 10) % 2;
    auto task = std::make_shared<std::promise<void>>();
    done.push_back(task->get_future());
    executor.post([&, i, task] {
      if (running.fetch_add(1) != 0) overlapped.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      {
        std::lock_guard<std::mutex> lock(m);
        ran.emplace_back(i, niceness() - base);
      }
      running.fetch_sub(1);
      task->set_value();
    });
    if (i % 10 == 9) done.back().wait();  // the next lane's tasks are posted after these ran
  }
  for (auto& f : done) f.wait();
  CHECK(overlapped.load() == 0);
  {
    // lanes 0, 1, 0, 1 in turn: each hand-over made the worker that ran before leave, once, on its own thread
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(leftMutex);
    CHECK(left.size() == 3);
#ifdef __linux__
    for (size_t i = 0; i < left.size(); ++i) CHECK(left[i] - base == (i % 2 == 0 ? 0 : 3));
#endif
  }
  CHECK(ran.size() == 40);
  for (size_t i = 0; i < ran.size(); ++i) {
    CHECK(ran[i].first == static_cast<int>(i));
#ifdef __linux__
    CHECK(ran[i].second == ((i / 10) % 2 == 0 ? 0 : 3));
#endif
  }
  // call() from either worker runs inline (no deadlock), and the lane may change while tasks wait
  lane = 1;
  CHECK(executor.call([&] { return executor.onThread() && executor.call([] { return 7; }) == 7; }));
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  executor.post([gate] { gate.wait(); });
  std::promise<int> afterNiceness;
  std::future<int> after = afterNiceness.get_future();
  std::thread caller([&] { afterNiceness.set_value(executor.call([&] { return niceness() - base; })); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  lane = 0;  // chosen while the task waits: the normal worker takes it
  release.set_value();
  const int afterRanAt = after.get();
  caller.join();
#ifdef __linux__
  CHECK(afterRanAt == 0);
#else
  (void)afterRanAt;
#endif
  executor.stop();
  CHECK(!executor.post([] {}));
}

// The lane rule: quiet below 0.1 of a core used by other processes, normal from 0.25 on, else as it was.
void laneRule() {
  CHECK(nextLane(kNormalLane, 0.0) == kQuietLane);
  CHECK(nextLane(kNormalLane, 0.09) == kQuietLane);
  CHECK(nextLane(kNormalLane, 0.15) == kNormalLane);  // between the thresholds: keep
  CHECK(nextLane(kQuietLane, 0.15) == kQuietLane);
  CHECK(nextLane(kQuietLane, 0.25) == kNormalLane);
  CHECK(nextLane(kQuietLane, 1.7) == kNormalLane);
  CHECK(nextLane(kQuietLane, -1) == kQuietLane);      // unknown: keep
  CHECK(nextLane(kNormalLane, std::numeric_limits<double>::quiet_NaN()) == kNormalLane);
}

// parallelFor: an exception on any thread comes back to the caller after every thread joined.
void parallelForThrows() {
  std::atomic<int> ran{0};
  bool caught = false;
  try {
    parallelFor(64, 4, [&](size_t i) {
      ran.fetch_add(1);
      if (i == 13) throw Error(ErrorCode::InvalidImage, "thirteen");
    });
  } catch (const Error& e) {
    caught = std::string(e.what()) == "thirteen";
  }
  CHECK(caught);
  CHECK(ran.load() >= 1);
}

// The team's size rule: one thread less per core taken from 0.15 of a core on; one more per 0.7 of a core idle.
void teamSizeRule() {
  CHECK(nextTeamSize(2, 2, 0.0, 0.0) == 2);
  CHECK(nextTeamSize(2, 2, 0.1, 0.0) == 2);    // a little delay: keep
  CHECK(nextTeamSize(2, 2, 0.2, 0.0) == 1);    // 0.2 of a core taken: shrink
  CHECK(nextTeamSize(3, 4, 1.2, 0.0) == 1);    // more than a core taken: two less
  CHECK(nextTeamSize(2, 2, 0.6, 1.5) == 1);    // shrinking wins over idle time (not measured while the team ran)
  CHECK(nextTeamSize(1, 2, 0.0, 0.6) == 1);    // too little idle: stay small
  CHECK(nextTeamSize(1, 2, 0.0, 0.75) == 2);   // grow
  CHECK(nextTeamSize(1, 4, 0.0, 1.8) == 3);    // 1.8 idle cores: two more
  CHECK(nextTeamSize(1, 2, -1, 0.75) == 2);    // nothing measured while batches ran: idle time still grows it
  CHECK(nextTeamSize(2, 2, 5.0, 0.0) == 1);    // never below one
  CHECK(nextTeamSize(8, 8, 0.0, 15.0) == 8);   // never above the budget
  CHECK(nextTeamSize(16, 16, 0.94, 0.0) == 15); // a neighbour on one of 16 cores costs one thread
  CHECK(nextTeamSize(4, 4, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()) == 4);
}

// Threads that live as long as it does (as an OpenMP team's do) and spin together on demand;
// members join the governor's team when they start.
class Crew {
 public:
  Crew(TeamGovernor& governor, int threads, bool members) {
    for (int i = 0; i < threads; ++i)
      pool_.emplace_back([this, &governor, members] {
        if (members) governor.joinTeam();
        std::unique_lock<std::mutex> lock(mutex_);
        for (long seen = 0;;) {
          wake_.wait(lock, [&] { return quit_ || round_ != seen; });
          if (quit_) return;
          seen = round_;
          const auto end = until_;
          lock.unlock();
          volatile unsigned long n = 0;
          while (std::chrono::steady_clock::now() < end) n = n + 1;
          lock.lock();
          ++done_;
          wake_.notify_all();
        }
      });
  }
  ~Crew() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    wake_.notify_all();
    for (auto& t : pool_) t.join();
  }
  void start(int ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    until_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    done_ = 0;
    ++round_;
    wake_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return done_ == static_cast<int>(pool_.size()); });
  }

 private:
  std::vector<std::thread> pool_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::chrono::steady_clock::time_point until_{};
  long round_ = 0;
  int done_ = 0;
  bool quit_ = false;
};

// The governor reads the kernel's counters: a team that waits for CPUs taken by other threads
// shrinks; one alone on the CPUs keeps its size; idle CPUs grow it back.
void governorMeasures() {
  double idle = 0;
  int cpus = 0;
  if (!readIdleCpuSeconds(&idle, &cpus)) {
    std::printf("scheduler_test: /proc/stat unreadable, the governor's measurement is not checked\n");
    return;
  }
  TeamGovernor governor(2, true);
  if (!governor.state().adaptive) {
    std::printf("scheduler_test: schedstat unreadable, the governor's measurement is not checked\n");
    return;
  }
  // one busy member: alone it always finds a free CPU (a second one could wait for the test's own
  // thread or a sanitizer's); beside a busy thread per CPU it waits about a third of the time on 2 CPUs
  Crew team(governor, 1, true);
  Crew crowd(governor, cpus, false);
  auto batch = [&](bool crowded) {  // a "batch": the team busy, beside a busy thread per CPU or alone
    TeamGovernor::Batch scope(governor);
    if (crowded) crowd.start(400);
    team.start(400);
    team.wait();
    if (crowded) crowd.wait();
    return scope.size();
  };
  { TeamGovernor::Batch prime(governor); }  // the first sample is the baseline
  batch(false);
  CHECK(batch(false) == 2);  // decided over a batch alone on the CPUs: no delay
  batch(true);
  CHECK(batch(false) == 1);  // decided over a batch whose CPUs other threads wanted too
  CHECK(governor.state().takenCores > 0.15);  // the shrink threshold
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // idle CPUs
  CHECK(batch(false) == 2);
  CHECK(governor.state().changes == 2);
  TeamGovernor fixed(2, false);
  CHECK(TeamGovernor::Batch(fixed).size() == 2 && !fixed.state().adaptive);
}

// The lane follows other processes' CPU use, not this process's: busy threads of its own leave it
// quiet, a busy child process moves it to the normal lane.
void governorLanes() {
#ifdef __linux__
  TeamGovernor governor(1, false, true);
  if (!governor.hasQuietLane()) {
    std::printf("scheduler_test: /proc/stat or schedstat unreadable, the lanes are not checked\n");
    return;
  }
  double idle = 0;
  int cpus = 0;
  CHECK(readIdleCpuSeconds(&idle, &cpus));
  auto sample = [&](Crew* crowd) {  // one sample of 300 ms, beside busy threads of this process or not
    { TeamGovernor::Batch start(governor); }
    if (crowd) crowd->start(300);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (crowd) crowd->wait();
    { TeamGovernor::Batch decide(governor); }
    return governor.state();
  };
  { TeamGovernor::Batch prime(governor); }  // the first sample is the baseline
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  const TeamState quiet = sample(nullptr);
  if (quiet.othersCores < kQuietBelow) {
    CHECK(quiet.lane == kQuietLane);
    Crew own(governor, cpus, false);
    const TeamState busyHere = sample(&own);
    CHECK(busyHere.othersCores < 0.5);  // cpus busy threads of this process are not "others"
  } else {
    std::printf("scheduler_test: other processes use %.2f cores, this process's own threads are not checked\n", quiet.othersCores);
  }
  const pid_t child = fork();
  if (child == 0) {
    for (volatile unsigned long n = 0;; n = n + 1) {
    }
  }
  CHECK(child > 0);
  if (child <= 0) return;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const TeamState crowded = sample(nullptr);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  CHECK(crowded.othersCores > 0.5);
  CHECK(crowded.lane == kNormalLane);
  CHECK(crowded.laneChanges >= 1);
#endif
}

}  // namespace

int main() {
  concurrentSubmitters("cpu", 1);
  concurrentSubmitters("cuda:0", 3);
  disposeInFlight("cpu", 1);
  disposeInFlight("cuda:0", 3);
  lastReferenceOnOwnLane();
  cancelAndChunks();
  separateRequests(false);
  separateRequests(true);
  replyFault();
  closeForExit();
  executorStop();
  executorLanes();
  parallelForThrows();
  teamSizeRule();
  laneRule();
  governorLanes();
  governorMeasures();
  stopSharedThreads();
  if (failures > 0) {
    std::fprintf(stderr, "scheduler_test: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("scheduler_test: all checks passed\n");
  return 0;
}
