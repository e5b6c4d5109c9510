#include "engine_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "../error.h"

namespace edge {

namespace {

// ---- SHA-256 (FIPS 180-4) ----
class Sha256 {
 public:
  void update(const unsigned char* data, size_t size) {
    length_ += size;
    while (size > 0) {
      const size_t take = std::min(size, sizeof(block_) - used_);
      std::memcpy(block_ + used_, data, take);
      used_ += take;
      data += take;
      size -= take;
      if (used_ == sizeof(block_)) {
        compress(block_);
        used_ = 0;
      }
    }
  }
  std::string hex() {
    const uint64_t bits = length_ * 8;
    const unsigned char one = 0x80, zero = 0;
    update(&one, 1);
    while (used_ != 56) update(&zero, 1);
    unsigned char tail[8];
    for (int i = 0; i < 8; ++i) tail[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
    update(tail, 8);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (uint32_t word : state_) {
      for (int shift = 28; shift >= 0; shift -= 4) out += digits[(word >> shift) & 15];
    }
    return out;
  }

 private:
  static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
  void compress(const unsigned char* p) {
    static constexpr uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
        0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
        0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
        0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
        0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
        0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = (uint32_t(p[4 * i]) << 24) | (uint32_t(p[4 * i + 1]) << 16) | (uint32_t(p[4 * i + 2]) << 8) | uint32_t(p[4 * i + 3]);
    }
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3], e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    const uint32_t add[8] = {a, b, c, d, e, f, g, h};
    for (int i = 0; i < 8; ++i) state_[i] += add[i];
  }

  std::array<uint32_t, 8> state_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  unsigned char block_[64];
  size_t used_ = 0;
  uint64_t length_ = 0;
};

// A fast 64-bit checksum of a plan (corruption, not adversaries: the folder is the model's own).
uint64_t checksum(const char* data, size_t size) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ size;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < size; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 0x100000001b3ull;
  return h ^ (h >> 32);
}

constexpr char kMagic[8] = {'E', 'D', 'G', 'E', 'T', 'R', 'T', '1'};
constexpr size_t kHeader = 8 + 8 + 8;  // magic, plan size, checksum (little-endian)

void putU64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint64_t getU64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

// An exclusive advisory lock on a file, released with its owner; held() false where it cannot be made.
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) return;
    int r;
    do r = flock(fd_, LOCK_EX);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

// The framed plan in `path`, when there is a valid one; *rejected says why a file that exists is not.
bool readCached(const std::string& path, std::vector<char>* plan, std::string* rejected) {
  std::vector<char> file;
  if (!readWhole(path, &file)) return false;
  std::string why;
  if (unframeEngine(file, plan, &why)) return true;
  *rejected = path + ": " + why;
  return false;
}

CachedEngine buildAndStore(const std::string& path, const std::function<std::vector<char>()>& build, std::string rejected) {
  CachedEngine out;
  out.path = path;
  out.rejected = std::move(rejected);
  out.plan = build();
  out.built = true;
  const std::vector<char> framed = frameEngine(out.plan);
  std::string ignored;  // best effort: a read-only folder just means no cache
  out.cached = writeFileAtomically(path, framed.data(), framed.size(), &ignored);
  return out;
}

struct FileStat {
  uint64_t size = 0;
  int64_t mtimeNs = 0, ctimeNs = 0;
  uint64_t inode = 0;
  bool operator==(const FileStat& o) const { return size == o.size && mtimeNs == o.mtimeNs && ctimeNs == o.ctimeNs && inode == o.inode; }
};

FileStat statFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(ErrorCode::ModelLoad, "cannot read " + path + ": " + std::strerror(errno));
  FileStat s;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtimeNs = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.ctimeNs = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  s.inode = static_cast<uint64_t>(st.st_ino);
  return s;
}

std::string describe(const FileStat& s) {
  std::ostringstream out;
  out << s.size << ' ' << s.mtimeNs << ' ' << s.ctimeNs << ' ' << s.inode;
  return out.str();
}

constexpr const char* kSidecarHeader = "edge-classify onnx sha256 v1";

}  // namespace

std::string sha256Hex(const void* data, size_t size) {
  Sha256 h;
  h.update(static_cast<const unsigned char*>(data), size);
  return h.hex();
}

std::string sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::ModelLoad, "cannot read " + path);
  Sha256 h;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    h.update(reinterpret_cast<const unsigned char*>(buffer.data()), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(ErrorCode::ModelLoad, "cannot read " + path);
  return h.hex();
}

std::vector<char> frameEngine(const std::vector<char>& plan) {
  std::vector<char> out(kHeader + plan.size());
  std::memcpy(out.data(), kMagic, 8);
  putU64(out.data() + 8, plan.size());
  putU64(out.data() + 16, checksum(plan.data(), plan.size()));
  if (!plan.empty()) std::memcpy(out.data() + kHeader, plan.data(), plan.size());
  return out;
}

bool unframeEngine(const std::vector<char>& file, std::vector<char>* plan, std::string* why) {
  if (file.size() < kHeader || std::memcmp(file.data(), kMagic, 8) != 0) {
    *why = "not an edge-classify engine cache file (no header)";
    return false;
  }
  const uint64_t size = getU64(file.data() + 8);
  if (size != file.size() - kHeader) {
    *why = "truncated or overlong: " + std::to_string(file.size() - kHeader) + " bytes of plan where the header says " + std::to_string(size);
    return false;
  }
  if (getU64(file.data() + 16) != checksum(file.data() + kHeader, size)) {
    *why = "corrupt: the plan's checksum does not match";
    return false;
  }
  plan->assign(file.begin() + static_cast<std::ptrdiff_t>(kHeader), file.end());
  return true;
}

bool readWhole(const std::string& path, std::vector<char>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

bool writeFileAtomically(const std::string& path, const void* bytes, size_t size, std::string* error) {
  static std::atomic<unsigned> counter{0};
  const std::string temp = path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "cannot create " + temp + ": " + std::strerror(errno);
    return false;
  }
  const char* p = static_cast<const char*>(bytes);
  size_t left = size;
  bool ok = true;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (ok && ::fsync(fd) != 0) ok = false;
  if (!ok) *error = "cannot write " + temp + ": " + std::strerror(errno);
  ::close(fd);
  if (ok && ::rename(temp.c_str(), path.c_str()) != 0) {
    *error = "cannot rename " + temp + " to " + path + ": " + std::strerror(errno);
    ok = false;
  }
  if (!ok) ::unlink(temp.c_str());
  return ok;
}

OnnxIdentity identifyOnnx(const std::string& onnx) {
  const std::string sidecar = onnx + ".sha256";
  const FileStat before = statFile(onnx);
  OnnxIdentity id;
  id.size = before.size;
  id.mtimeNs = before.mtimeNs;
  {
    std::ifstream in(sidecar);
    std::string header, stat, hash;
    if (in && std::getline(in, header) && std::getline(in, stat) && std::getline(in, hash) && header == kSidecarHeader &&
        stat == describe(before) && hash.size() == 64) {
      id.sha256 = hash;
      return id;
    }
  }
  id.sha256 = sha256File(onnx);
  id.hashed = true;
  const FileStat after = statFile(onnx);
  if (after == before) {  // the file did not change while it was hashed: the hash describes this version
    const std::string text = std::string(kSidecarHeader) + "\n" + describe(before) + "\n" + id.sha256 + "\n";
    std::string ignored;
    writeFileAtomically(sidecar, text.data(), text.size(), &ignored);  // best effort
  } else {
    throw Error(ErrorCode::ModelLoad, onnx + " changed while it was read: load it again once it is written");
  }
  return id;
}

std::string enginePath(const std::string& onnx, const OnnxIdentity& id, const EngineSettings& s) {
  std::ostringstream key;
  key << "onnx size=" << id.size << " mtime=" << id.mtimeNs << " sha256=" << id.sha256 << "; gpu=" << s.gpu << " sm=" << s.computeMajor
      << '.' << s.computeMinor << "; tensorrt=" << s.tensorRtVersion << "; precision=" << s.precision << "; batch=" << s.minBatch << '/'
      << s.optBatch << '/' << s.maxBatch << "; input=" << s.height << 'x' << s.width << "; workspace=" << s.workspaceBytes;
  const std::string text = key.str();
  const std::string digest = sha256Hex(text.data(), text.size()).substr(0, 16);
  std::string gpu = s.gpu;
  for (char& c : gpu) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
  }
  const std::string stem = onnx.size() > 5 && onnx.compare(onnx.size() - 5, 5, ".onnx") == 0 ? onnx.substr(0, onnx.size() - 5) : onnx;
  const int32_t v = s.tensorRtVersion;
  std::ostringstream name;
  name << stem << '.' << gpu << "-sm" << s.computeMajor << s.computeMinor << "-trt" << v / 10000 << '.' << v / 100 % 100 << '.' << v % 100
       << '-' << s.precision << "-b" << s.maxBatch << '-' << digest << ".engine";
  return name.str();
}

CachedEngine loadOrBuildEngine(const std::string& path, const std::function<std::vector<char>()>& build) {
  CachedEngine out;
  out.path = path;
  std::string rejected;
  if (readCached(path, &out.plan, &rejected)) {
    out.cached = true;
    return out;
  }
  const FileLock lock(path + ".lock");
  // another process may have built it while this one waited for the lock
  if (lock.held() && readCached(path, &out.plan, &rejected)) {
    out.cached = true;
    out.rejected = rejected;
    return out;
  }
  return buildAndStore(path, build, rejected);
}

CachedEngine rebuildEngine(const std::string& path, const std::function<std::vector<char>()>& build) {
  const FileLock lock(path + ".lock");
  return buildAndStore(path, build, path + ": TensorRT could not deserialize the cached engine");
}

}  // namespace edge
