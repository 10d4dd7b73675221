// StopSignals: SIGINT and SIGTERM ask a running loop to stop at the next safe point instead of killing the process,
// so the trainer can finish its step, write a checkpoint and exit cleanly. While a StopSignals object lives, the
// first signal sets a flag; a second SIGINT restores the default action (a user pressing Ctrl-C twice means it).
// Objects nest: an inner StopSignals (the trainer's) shares the outer one's flag (a command's, installed before it
// reads its data, so a signal during preparation also ends in a clean stop after the first step).
//
// Usage:
//   StopSignals signals;
//   while (!StopSignals::requested()) train_one_step();
#pragma once

namespace attend::train {

class StopSignals {
 public:
  StopSignals();   ///< the outermost one installs the handlers and clears the flag
  ~StopSignals();  ///< restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  /// True once SIGINT or SIGTERM arrived (or request() was called) since the handlers were installed.
  static bool requested();
  /// The signal number that asked to stop (0: none).
  static int signal_number();
  /// Sets the flag as a signal would (tests, and loops that stop for their own reasons).
  static void request(int signal_number);
};

}  // namespace attend::train
