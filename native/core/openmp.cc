#include "openmp.h"

#ifdef __linux__
#include <dlfcn.h>
#endif

namespace edge {

namespace {

using PauseAll = int (*)(int);
constexpr int kOmpPauseSoft = 1;  // omp_pause_soft in omp.h

PauseAll findPauseAll() {
#ifdef __linux__
  if (auto pause = reinterpret_cast<PauseAll>(dlsym(RTLD_DEFAULT, "omp_pause_resource_all"))) return pause;
  // RTLD_NOLOAD: only the libgomp already in the process (libtorch's); the handle's reference is
  // dropped again at once, libtorch keeps the library loaded
  void* lib = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD);
  if (lib == nullptr) return nullptr;
  auto pause = reinterpret_cast<PauseAll>(dlsym(lib, "omp_pause_resource_all"));
  dlclose(lib);
  return pause;
#else
  return nullptr;
#endif
}

}  // namespace

bool releaseOpenMpTeam() {
  static const PauseAll pause = findPauseAll();
  return pause != nullptr && pause(kOmpPauseSoft) == 0;
}

}  // namespace edge
