#include "models/util/progress.hpp"

#include <cmath>

namespace trainsim {

ProgressBar::ProgressBar(std::size_t total, std::size_t already, std::FILE* out, bool terminal)
    : total_(total),
      already_(already),
      done_(already),
      out_(out),
      terminal_(terminal),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  last_logged_decile_ = total_ ? done_ * 10 / total_ : 0;
}

ProgressBar::ProgressBar(std::size_t total, std::FILE* out, bool terminal, std::string what, std::string unit,
                         double delay_s)
    : ProgressBar(total, 0, out, terminal) {
  what_ = std::move(what);
  unit_ = std::move(unit);
  delay_s_ = delay_s;
}

std::string ProgressBar::format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = static_cast<long long>(std::llround(s));
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
  return buf;
}

std::string ProgressBar::line(std::size_t done, std::size_t total, double rate, int width, const std::string& unit) {
  const double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : NAN;
  char buf[160];
  std::snprintf(buf, sizeof buf, "[%s] %zu/%zu %3.0f%%  %.1f %s/s  ETA %s", bar.c_str(), done, total, frac * 100.0,
                rate, unit.c_str(), format_duration(eta).c_str());
  return buf;
}

void ProgressBar::draw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_ - already_) / elapsed : 0.0;
  if (elapsed < delay_s_ && !drawn_) return;  // short work: nothing at all, not even the final line
  const std::string text = (what_.empty() ? "" : what_ + " ") + line(done_, total_, rate, 30, unit_);
  if (terminal_) {
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    std::fprintf(out_, "\r%s", text.c_str());
    if (force) std::fputc('\n', out_);
  } else {
    const std::size_t decile = total_ ? done_ * 10 / total_ : 10;
    if (!force && decile == last_logged_decile_ && now - last_draw_ < std::chrono::seconds(10)) return;
    if (force && done_ == last_logged_done_) return;  // the last tick already printed this line
    last_logged_done_ = done_;
    last_logged_decile_ = decile;
    std::fprintf(out_, "%s\n", text.c_str());
  }
  std::fflush(out_);
  last_draw_ = now;
  drawn_ = true;
}

void ProgressBar::tick() {
  std::lock_guard<std::mutex> lock(mu_);
  ++done_;
  draw(false);
}

void ProgressBar::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  draw(true);
}

}  // namespace trainsim
