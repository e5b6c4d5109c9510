// The native tests' one assertion: CHECK(cond) prints the failed condition with its place and counts
// it in `failures` (each test's main exits non-zero when it is above 0).
#pragma once

#include <cstdio>

inline int failures = 0;

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)
