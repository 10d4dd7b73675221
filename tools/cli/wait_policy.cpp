// use_passive_wait_policy (wait_policy.hpp). libgomp's default lets an idle thread spin ~300 000 iterations at every
// barrier before it sleeps. On a shared 2-vCPU machine the spinning thread takes the CPU from the descheduled
// partner it waits for, and 2-thread runs collapsed 4-10x: the LSTM forward bench took 83-436 ms on 2 threads
// against 60 ms on 1 while one other process ran, and 56-61 ms with OMP_WAIT_POLICY=passive (on a quiet machine
// passive cost ~10% there: 17.7 against 16.2 ms active, single runs). libgomp reads the variable once, in its
// constructor, before main; setting it from the executable's .preinit_array does not work either, because libc's
// own initialisation then resets environ to the original envp. So the binary re-executes itself once with the
// variable set (a few milliseconds). Programs linking libattend choose their own policy.
#include "wait_policy.hpp"

#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace attend::cli {

void use_passive_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  // The binary's own path, not /proc/self/exe, so the process keeps its name (ps, perf, top show "attend").
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return;
  path[n] = '\0';
  if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
  execv(path, argv);            // returns only on failure
  unsetenv("OMP_WAIT_POLICY");  // keep the environment as it was for anything this process starts
}

}  // namespace attend::cli
