#include "models/util/human_units.hpp"

#include <cmath>
#include <cstdio>

namespace trainsim {

namespace {
std::string format(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
}  // namespace

std::string human_seconds(double s) {
  if (s <= 0) return "0 s";
  if (s < 1e-3) return format("%.1f us", s * 1e6);
  if (s < 1) return format("%.2f ms", s * 1e3);
  if (s < 120) return format("%.2f s", s);
  if (s < 7200) return format("%.1f min", s / 60);
  if (s < 2 * 86400) return format("%.1f h", s / 3600);
  return format("%.1f days", s / 86400);
}

std::string human_bytes(double b) {
  const double a = std::fabs(b);
  if (a >= 1e12) return format("%.2f TB", b / 1e12);
  if (a >= 1e9) return format("%.2f GB", b / 1e9);
  if (a >= 1e6) return format("%.1f MB", b / 1e6);
  if (a >= 1e3) return format("%.1f kB", b / 1e3);
  return format("%.0f B", b);
}

std::string human_usd(double usd) {
  if (std::isnan(usd)) return "unpriced";  // no price (a GPU the price catalog has no offer for)
  if (!std::isfinite(usd)) return format("%g USD", usd);
  if (std::fabs(usd) < 1e4) return format("%.2f USD", usd);
  const long long whole = std::llround(std::fabs(usd));
  std::string digits = std::to_string(whole), grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return (usd < 0 ? "-" : "") + grouped + " USD";
}

}  // namespace trainsim
