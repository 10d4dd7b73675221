// StopSignals: async-signal-safe flag set by SIGINT/SIGTERM (see the header).
#include "attend/train/stop_signal.hpp"

#include <csignal>

namespace attend::train {
namespace {

volatile std::sig_atomic_t g_signal = 0;
int g_depth = 0;  // nested StopSignals share the first one's handlers and flag
struct sigaction g_old_int, g_old_term;

extern "C" void on_stop_signal(int sig) {
  if (g_signal != 0 && sig == SIGINT) {  // second Ctrl-C: the default action
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  g_signal = sig;
}

}  // namespace

StopSignals::StopSignals() {
  if (g_depth++ > 0) return;
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

StopSignals::~StopSignals() {
  if (--g_depth > 0) return;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

bool StopSignals::requested() { return g_signal != 0; }
int StopSignals::signal_number() { return static_cast<int>(g_signal); }
void StopSignals::request(int signal_number) { g_signal = signal_number; }

}  // namespace attend::train
