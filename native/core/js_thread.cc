#include "js_thread.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace edge {

namespace {

// The kernel's struct sched_attr (include/uapi/linux/sched/types.h; glibc has no wrapper).
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;  // for the normal policies: the slice asked for (6.12+)
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

}  // namespace

JsThreadSlice applyJsThreadSlice() {
  JsThreadSlice out;
  int us = kDefaultJsSliceUs;
  out.from = "default";
  if (const char* value = std::getenv("EDGE_CLASSIFY_JS_SLICE_US")) {
    char* end = nullptr;
    const long parsed = std::strtol(value, &end, 10);
    if (end == value || *end != '\0' || parsed < 0 || parsed > 100000) {
      out.from = "EDGE_CLASSIFY_JS_SLICE_US is not 0..100000: left alone";
      return out;
    }
    us = static_cast<int>(parsed);
    out.from = "EDGE_CLASSIFY_JS_SLICE_US";
  }
  if (us == 0) return out;
#if defined(__linux__) && defined(SYS_sched_setattr)
  const int policy = sched_getscheduler(0);
  if (policy != SCHED_OTHER && policy != SCHED_BATCH) {
    out.from = "not a normal scheduling policy: left alone";
    return out;
  }
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  if (errno != 0) {
    out.from = std::string("getpriority failed: ") + std::strerror(errno);
    return out;
  }
  SchedAttr attr{};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<uint32_t>(policy);
  attr.sched_nice = nice;  // kept: a lower niceness would need a privilege
  attr.sched_runtime = static_cast<uint64_t>(std::max(us, 100)) * 1000;
  if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0) {
    out.from = std::string("sched_setattr failed: ") + std::strerror(errno);
    return out;
  }
  out.microseconds = std::max(us, 100);
#else
  out.from = "not Linux: left alone";
#endif
  return out;
}

}  // namespace edge
