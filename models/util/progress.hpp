#pragma once
// ProgressBar: "[#######.....]  512/1000  51%  1234 points/s  ETA 0:00:03" redrawn in place on a
// terminal (at most 10 times a second), or a plain line every 10% / 10 s when the stream is not a
// terminal (logs, CI), so long sweeps show their rate and time left either way. Long commands
// (SimGrid runs, search confirmation, size, report) use it on a terminal only, after a delay, so
// that short runs print nothing.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace trainsim {

class ProgressBar {
 public:
  /// `already` points were finished before this run (resumed); the rate counts only new ones.
  ProgressBar(std::size_t total, std::size_t already, std::FILE* out, bool terminal);
  /// `what` names the work ("SimGrid ops") and `unit` what is counted ("ops"); nothing is drawn before
  /// `delay_s` seconds, and finish() then prints nothing.
  ProgressBar(std::size_t total, std::FILE* out, bool terminal, std::string what, std::string unit, double delay_s);
  /// Thread-safe: one more point finished.
  void tick();
  /// Final line (always printed).
  void finish();

  /// "1:02:03" / "0:00:07"; "?" for a non-finite or negative value.
  static std::string format_duration(double seconds);
  /// The bar line for `done` of `total` at `rate` points/s (exposed for tests).
  static std::string line(std::size_t done, std::size_t total, double rate, int width = 30,
                          const std::string& unit = "points");

 private:
  void draw(bool force);
  std::size_t total_, already_, done_;
  std::FILE* out_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::size_t last_logged_decile_ = 0;
  std::size_t last_logged_done_ = static_cast<std::size_t>(-1);
  std::string what_, unit_ = "points";
  double delay_s_ = 0;
  bool drawn_ = false;
  std::mutex mu_;
};

}  // namespace trainsim
