// The OpenMP runtime that libtorch brought (libgomp), reached without
// linking to it: nothing here needs OpenMP at build time.
#pragma once

namespace edge {

// Frees the calling thread's OpenMP team — the worker threads libgomp keeps for the parallel
// regions this thread starts (OpenMP 5.0's omp_pause_resource_all(omp_pause_soft): the workers
// exit; the thread's next parallel region starts a new team). False, and nothing done, when
// libgomp is not loaded or has no such call. Never call it inside a parallel region.
bool releaseOpenMpTeam();

}  // namespace edge
