// The TensorRT engine cache and build rules without TensorRT (engine_cache.h, build_plan.h,
// build_progress.h): a stand-in builder behind loadOrBuildEngine's interface. The key follows the
// ONNX file (size, mtime, content) and the settings, and nothing else; cache files are framed,
// written atomically and rebuilt when truncated or corrupt; threads and processes racing for one
// engine build it once and all get it; the TensorRT 10 / 11 precision rules and the calibration
// tensor's shape check. Run plain, under TSan and under ASan+UBSan by scripts/native-tests.sh.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "error.h"
#include "tensorrt/build_plan.h"
#include "tensorrt/build_progress.h"
#include "tensorrt/engine_cache.h"

using namespace edge;

namespace {

std::string scratch;

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

timespec mtimeOf(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return st.st_mtim;
}

// Files' ctime may tick coarsely (a jiffy, where the filesystem has no fine-grained timestamps): each
// change the cache must see starts on a later tick.
void nextTick() { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

void setMtime(const std::string& path, timespec when) {
  const timespec times[2] = {when, when};
  utimensat(AT_FDCWD, path.c_str(), times, 0);
}

EngineSettings settings() {
  EngineSettings s;
  s.gpu = "NVIDIA H200";
  s.computeMajor = 9;
  s.computeMinor = 0;
  s.tensorRtVersion = 110100;
  s.precision = "fp16";
  s.minBatch = 1;
  s.optBatch = s.maxBatch = 64;
  s.height = s.width = 224;
  s.workspaceBytes = 1u << 30;
  return s;
}

std::string keyOf(const std::string& onnx, const EngineSettings& s = settings()) { return enginePath(onnx, identifyOnnx(onnx), s); }

// A stand-in builder: a plan made from the ONNX's bytes (so a changed model gives another plan).
std::vector<char> standInPlan(const std::string& onnx) {
  const std::string bytes = readBytes(onnx);
  std::vector<char> plan(4096 + bytes.size());
  for (size_t i = 0; i < plan.size(); ++i) plan[i] = static_cast<char>((i * 131 + (bytes.empty() ? 0 : bytes[i % bytes.size()])) & 0xff);
  return plan;
}

void sha256Vectors() {
  CHECK(sha256Hex("", 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256Hex("abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK(sha256Hex(two.data(), two.size()) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  CHECK(sha256Hex(million.data(), million.size()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  writeBytes(scratch + "/million", million);
  CHECK(sha256File(scratch + "/million") == sha256Hex(million.data(), million.size()));
}

void keyFollowsTheOnnx() {
  const std::string onnx = scratch + "/model.onnx";
  writeBytes(onnx, std::string(5000, 'x') + "weights v1");
  const std::string first = keyOf(onnx);
  CHECK(first.find(scratch + "/model.NVIDIA-H200-sm90-trt11.1.0-fp16-b64-") == 0);
  CHECK(first.size() > 7 && first.compare(first.size() - 7, 7, ".engine") == 0);
  // the same file again: the same key, the hash read back from the sidecar, not recomputed
  CHECK(identifyOnnx(onnx).hashed == false);
  CHECK(keyOf(onnx) == first);
  const timespec was = mtimeOf(onnx);

  // the same bytes written again, mtime put back: nothing the key depends on changed
  nextTick();
  writeBytes(onnx, std::string(5000, 'x') + "weights v1");
  setMtime(onnx, was);
  const OnnxIdentity same = identifyOnnx(onnx);
  CHECK(same.hashed);  // ctime moved: hashed again, to the same content hash
  CHECK(enginePath(onnx, same, settings()) == first);

  // replaced in place by other bytes of the same size, mtime put back: the content hash changes the key
  nextTick();
  writeBytes(onnx, std::string(5000, 'x') + "weights v2");
  setMtime(onnx, was);
  const std::string content = keyOf(onnx);
  CHECK(content != first);

  // the old bytes back, a different mtime: the mtime changes the key
  writeBytes(onnx, std::string(5000, 'x') + "weights v1");
  timespec later = was;
  later.tv_sec += 10;
  setMtime(onnx, later);
  const std::string mtime = keyOf(onnx);
  CHECK(mtime != first && mtime != content);

  // another size
  writeBytes(onnx, std::string(5001, 'x') + "weights v1");
  setMtime(onnx, was);
  const std::string size = keyOf(onnx);
  CHECK(size != first && size != content && size != mtime);

  // every setting is in the key
  writeBytes(onnx, std::string(5000, 'x') + "weights v1");
  setMtime(onnx, was);
  CHECK(keyOf(onnx) == first);
  std::vector<EngineSettings> variants(9, settings());
  variants[0].gpu = "NVIDIA H100";
  variants[1].computeMinor = 1;
  variants[2].tensorRtVersion = 101600;
  variants[3].precision = "fp32";
  variants[4].maxBatch = 32;
  variants[5].minBatch = 2;
  variants[6].optBatch = 16;
  variants[7].height = 256;
  variants[8].workspaceBytes = 2u << 30;
  std::vector<std::string> keys{first};
  for (const EngineSettings& v : variants) {
    const std::string key = keyOf(onnx, v);
    for (const std::string& other : keys) CHECK(key != other);
    keys.push_back(key);
  }
  bool threw = false;
  try {
    identifyOnnx(scratch + "/missing.onnx");
  } catch (const Error& e) {
    threw = e.code() == ErrorCode::ModelLoad;
  }
  CHECK(threw);
}

void framing() {
  const std::vector<char> plan = standInPlan(scratch + "/million");
  const std::vector<char> framed = frameEngine(plan);
  std::vector<char> back;
  std::string why;
  CHECK(unframeEngine(framed, &back, &why) && back == plan);
  for (size_t keep : {size_t(0), size_t(7), size_t(24), framed.size() / 2, framed.size() - 1}) {
    std::vector<char> cut(framed.begin(), framed.begin() + static_cast<std::ptrdiff_t>(keep));
    CHECK(!unframeEngine(cut, &back, &why));
  }
  std::vector<char> longer = framed;
  longer.push_back('!');
  CHECK(!unframeEngine(longer, &back, &why));
  for (size_t at : {size_t(30), framed.size() / 3, framed.size() - 1}) {
    std::vector<char> flipped = framed;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    CHECK(!unframeEngine(flipped, &back, &why) && why.find("corrupt") != std::string::npos);
  }
  CHECK(!unframeEngine(plan, &back, &why));  // a bare plan (no header) is not a cache file
}

void buildsOnceAndRebuildsDamage() {
  const std::string onnx = scratch + "/model.onnx";
  const std::string path = scratch + "/model.engine";
  int builds = 0;
  const auto build = [&] {
    ++builds;
    return standInPlan(onnx);
  };
  CachedEngine a = loadOrBuildEngine(path, build);
  CHECK(a.built && a.cached && builds == 1 && a.plan == standInPlan(onnx) && a.rejected.empty());
  CachedEngine b = loadOrBuildEngine(path, build);
  CHECK(!b.built && b.cached && builds == 1 && b.plan == a.plan);

  // truncated (a crash while copying it, a full disk): rebuilt, and the file is whole again
  const std::string whole = readBytes(path);
  writeBytes(path, whole.substr(0, whole.size() / 2));
  CachedEngine c = loadOrBuildEngine(path, build);
  CHECK(c.built && builds == 2 && c.plan == a.plan && c.rejected.find("truncated") != std::string::npos);
  CHECK(readBytes(path) == whole);

  // one byte changed: rebuilt
  std::string corrupt = whole;
  corrupt[corrupt.size() / 2] ^= 1;
  writeBytes(path, corrupt);
  CachedEngine d = loadOrBuildEngine(path, build);
  CHECK(d.built && builds == 3 && d.rejected.find("corrupt") != std::string::npos && readBytes(path) == whole);

  // TensorRT refused the plan (rebuildEngine): built again even though the file is valid
  CachedEngine e = rebuildEngine(path, build);
  CHECK(e.built && builds == 4 && e.cached);

  // a folder that cannot take the cache: built, used, not cached
  CachedEngine f = loadOrBuildEngine(scratch + "/no-such-folder/model.engine", build);
  CHECK(f.built && !f.cached && builds == 5 && f.plan == a.plan);

  // a builder that throws: the error reaches the caller, nothing is left behind
  bool threw = false;
  try {
    loadOrBuildEngine(scratch + "/failing.engine", []() -> std::vector<char> { throw Error(ErrorCode::ModelLoad, "no"); });
  } catch (const Error&) {
    threw = true;
  }
  CHECK(threw && access((scratch + "/failing.engine").c_str(), F_OK) != 0);
}

// Processes racing for one engine (two boxes' services starting at once on a shared folder, or one
// restarted while it builds): one build, both get the same plan. Before any thread exists (fork).
void processesBuildOnce() {
  const std::string onnx = scratch + "/model.onnx";
  const std::string path = scratch + "/race-processes.engine";
  const std::string log = scratch + "/race-processes.builds";
  std::vector<pid_t> children;
  for (int i = 0; i < 3; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      int status = 1;
      try {
        CachedEngine got = loadOrBuildEngine(path, [&] {
          const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
          if (fd >= 0) {
            (void)!write(fd, "b\n", 2);
            close(fd);
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a slow build: the others arrive meanwhile
          return standInPlan(onnx);
        });
        status = got.plan == standInPlan(onnx) ? 0 : 2;
      } catch (...) {
        status = 3;
      }
      _exit(status);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  CHECK(readBytes(log) == "b\n");
  std::vector<char> plan;
  std::string why;
  const std::string file = readBytes(path);
  CHECK(unframeEngine(std::vector<char>(file.begin(), file.end()), &plan, &why) && plan == standInPlan(onnx));
}

void threadsBuildOnce() {
  const std::string onnx = scratch + "/model.onnx";
  const std::string path = scratch + "/race-threads.engine";
  std::atomic<int> builds{0}, good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      CachedEngine got = loadOrBuildEngine(path, [&] {
        builds.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return standInPlan(onnx);
      });
      if (got.plan == standInPlan(onnx)) good.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(builds.load() == 1);
  CHECK(good.load() == 6);
}

// A reader never sees half a file while a writer replaces it, again and again.
void atomicWrites() {
  const std::string path = scratch + "/replaced.engine";
  const std::vector<char> small = frameEngine(std::vector<char>(1000, 'a'));
  const std::vector<char> large = frameEngine(std::vector<char>(300000, 'b'));
  std::string error;
  CHECK(writeFileAtomically(path, small.data(), small.size(), &error));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      const std::vector<char>& next = i % 2 ? small : large;
      std::string e;
      writeFileAtomically(path, next.data(), next.size(), &e);
    }
    done.store(true);
  });
  int reads = 0, bad = 0;
  while (!done.load() || reads < 10) {
    const std::string bytes = readBytes(path);
    std::vector<char> plan;
    std::string why;
    if (!unframeEngine(std::vector<char>(bytes.begin(), bytes.end()), &plan, &why)) ++bad;
    ++reads;
  }
  writer.join();
  CHECK(bad == 0);
  CHECK(!writeFileAtomically(scratch + "/no-such-folder/x", "x", 1, &error) && !error.empty());
}

template <typename Fn>
ErrorCode thrown(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::Internal;  // did not throw
}

void precisionRules() {
  const NetworkTypes fp32{false, false}, fp16{true, false}, qdq{true, true};
  // TensorRT 10: flags, calibration from images, or the ONNX's Q/DQ
  CHECK(buildMode(10, Precision::FP32, fp32, 0, "m.onnx") == BuildMode::Fp32);
  CHECK(buildMode(10, Precision::FP16, fp32, 0, "m.onnx") == BuildMode::Fp16Flag);
  CHECK(buildMode(10, Precision::INT8, fp32, 8, "m.onnx") == BuildMode::Int8Calibrated);
  CHECK(buildMode(10, Precision::INT8, qdq, 0, "m.onnx") == BuildMode::Int8Explicit);
  CHECK(thrown([&] { buildMode(10, Precision::INT8, fp32, 0, "m.onnx"); }) == ErrorCode::InvalidArgument);
  // TensorRT 11: the ONNX's own types, or a typed error saying how to convert
  CHECK(buildMode(11, Precision::FP32, fp32, 0, "m.onnx") == BuildMode::StronglyTyped);
  CHECK(buildMode(11, Precision::FP16, fp16, 0, "m.onnx") == BuildMode::StronglyTyped);
  CHECK(buildMode(11, Precision::INT8, qdq, 0, "m.onnx") == BuildMode::StronglyTyped);
  CHECK(thrown([&] { buildMode(11, Precision::FP16, fp32, 0, "m.onnx"); }) == ErrorCode::Unsupported);
  CHECK(thrown([&] { buildMode(11, Precision::INT8, fp32, 100, "m.onnx"); }) == ErrorCode::Unsupported);
  CHECK(thrown([&] { buildMode(11, Precision::FP32, fp16, 0, "m.onnx"); }) == ErrorCode::Unsupported);
  try {
    buildMode(11, Precision::FP16, fp32, 0, "m.onnx");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("export_onnx.py") != std::string::npos);
    CHECK(std::string(e.what()).find("--precision fp16") != std::string::npos);
  }
  try {
    buildMode(11, Precision::INT8, fp32, 100, "m.onnx");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("Q/DQ") != std::string::npos);
  }
}

void calibrationShape() {
  // 10 images preprocessed at the metadata's 224 x 224, for an ONNX that takes 256 x 256 (the old
  // calibrator read 10 x 3 x 256 x 256 floats from this tensor: past its end)
  const size_t at224 = 10u * 3 * 224 * 224;
  CHECK(thrown([&] { checkCalibration(at224, 10, 256, 256, "m.onnx"); }) == ErrorCode::ModelMismatch);
  CHECK(thrown([&] { checkCalibration(at224, 10, 224, 224, "m.onnx"); }) == ErrorCode::Internal);  // fits: no error
  CHECK(thrown([&] { checkCalibration(at224 - 1, 10, 224, 224, "m.onnx"); }) == ErrorCode::ModelMismatch);
  CHECK(thrown([&] { checkCalibration(0, 0, 224, 224, "m.onnx"); }) == ErrorCode::ModelMismatch);
  try {
    checkCalibration(at224, 10, 256, 256, "m.onnx");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("150528 floats each") != std::string::npos);
    CHECK(std::string(e.what()).find("196608") != std::string::npos);
  }
}

void progress() {
  BuildProgress p;
  CHECK(!p.snapshot().building);
  {
    const BuildProgress::Scope scope(p, "m.onnx");
    p.phaseStart("Building engine", false, 4);
    p.step("Building engine", 0);
    p.phaseStart("Tactics", true, 10);
    for (int i = 0; i < 5; ++i) p.step("Tactics", i);
    BuildProgressSnapshot s = p.snapshot();
    CHECK(s.building && s.model == "m.onnx" && s.phase == "Tactics" && s.step == 1 && s.steps == 4);
    CHECK(s.fraction > 0.374 && s.fraction < 0.376);  // (1 + 5/10) / 4
    p.phaseFinish("Tactics");
    p.phaseFinish("Building engine");
    CHECK(p.snapshot().fraction == 1.0);
  }
  CHECK(!p.snapshot().building && p.snapshot().builds == 1);
}

}  // namespace

int main() {
  char dir[] = "/tmp/edge-classify-engine-cache-XXXXXX";
  if (!mkdtemp(dir)) return 2;
  scratch = dir;
  sha256Vectors();
  keyFollowsTheOnnx();
  framing();
  processesBuildOnce();  // before any thread: fork
  buildsOnceAndRebuildsDamage();
  threadsBuildOnce();
  atomicWrites();
  precisionRules();
  calibrationShape();
  progress();
  const std::string clean = "rm -rf '" + scratch + "'";
  if (std::system(clean.c_str()) != 0) return 2;
  if (failures) std::fprintf(stderr, "engine_cache_test: %d checks failed\n", failures);
  else std::printf("engine_cache_test: all checks passed\n");
  return failures ? 1 : 0;
}
