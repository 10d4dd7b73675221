// use_bounded_spin_wait_policy (wait_policy.hpp). libgomp's default lets an idle thread spin 300 000 iterations at
// every barrier and between parallel regions before it sleeps (~8 ms here: a pause is ~26 ns on this machine's
// cores). On a shared 2-vCPU machine the spinning thread takes the CPU from the descheduled partner it waits for, and
// 2-thread runs collapsed 4-10x: the LSTM forward bench took 83-436 ms on 2 threads against 60 ms on 1 while one other
// process ran. A spin count of 0 (OMP_WAIT_POLICY=passive) cured that, but then a thread sleeps at every step barrier
// of a recurrence and at every region's end: the LSTM forward (seq 50, hidden 512) made ~50 context switches per call,
// used 1.74 of 2 CPUs (perf stat) and took 15.4-16.1 ms against 14.1-14.4 ms with GOMP_SPINCOUNT=3000. kSpinCount
// bounds the spin at ~26 µs: the threads of a step arrive µs apart, and a descheduled partner costs the waiter at
// most that before it sleeps (with one other process busy: 29.7-31.2 ms, passive 29.6-31.3 ms, 1 thread 29.7 ms).
// libgomp reads the variable once, in its constructor, before main; setting it from the executable's .preinit_array
// does not work either, because libc's own initialisation then resets environ to the original envp. So the binary
// re-executes itself once with the variable set (a few milliseconds). Programs linking libattend choose their own.
#include "wait_policy.hpp"

#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace attend::cli {

namespace {
constexpr const char* kSpinCount = "1000";
}  // namespace

void use_bounded_spin_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  // The binary's own path, not /proc/self/exe, so the process keeps its name (ps, perf, top show "attend").
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return;
  path[n] = '\0';
  if (setenv("GOMP_SPINCOUNT", kSpinCount, 1) != 0) return;
  execv(path, argv);          // returns only on failure
  unsetenv("GOMP_SPINCOUNT");  // keep the environment as it was for anything this process starts
}

}  // namespace attend::cli
