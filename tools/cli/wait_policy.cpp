// use_bounded_spin_wait_policy (wait_policy.hpp). libgomp's default lets an idle thread spin 300 000 iterations at
// every barrier and between parallel regions before it sleeps (~8 ms: a pause is ~26-28 ns on these machines' cores).
// On a shared 2-vCPU machine the spinning thread takes the CPU from the descheduled partner it waits for, and 2-thread
// runs collapsed 4-10x: the LSTM forward bench took 83-436 ms on 2 threads against 60 ms on 1 while one other process
// ran. The passive policy (no spin) cured that, but then a thread sleeps at every step barrier of a recurrence and at
// every region's end: the LSTM forward (seq 50, hidden 512) made ~50 context switches per call and ran 10% slower.
// A spin of 1000 (~28 µs) was the first bound. On a virtual machine whose host steals time, a thread that sleeps is
// woken by an interrupt to a halted vCPU, which costs up to milliseconds: with the host busy, the seq2seq training
// step on 2 threads took 296-475 ms with 1000 (slower than on 1 thread, 375-396), 203-284 with 30 000, 206-211 with
// 100 000; the LSTM forward 31-37 ms with 1000 and 15-26 with 100 000. On a quiet host the bounds differ by less than
// the noise (LSTM fwd 13.5-19.3 / 13.3-14.8 / 13.9-16.1 ms for 1000 / 30 000 / 100 000; seq2seq 208-232 /
// 181-210 / 198-316). With one busy process beside a 2-thread run the cost grows with the bound (seq2seq: 1 thread
// 351-392 ms; 2 threads 393-446 with 1000, 593-607 with 10 000, 671-1098 with 30 000, 1738-1849 with 100 000).
// kSpinCount = 30 000 (~0.8 ms) keeps the first gain and bounds the loss on a shared machine; OMP_WAIT_POLICY=passive
// is the choice there (README). libgomp reads the variable once, in its constructor, before main; setting it from the
// executable's .preinit_array does not work either, because libc's own initialisation then resets environ to the
// original envp. So the binary re-executes itself once with the variable set (a few milliseconds). Programs linking
// libattend choose their own.
#include "wait_policy.hpp"

#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace attend::cli {

namespace {
constexpr const char* kSpinCount = "30000";
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
