#include "sim/search/duration.hpp"

#include <cmath>
#include <cstdlib>

#include "models/util/errors.hpp"

namespace trainsim {

double parse_duration(const std::string& text, const std::string& where) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  const std::string unit(end);
  double scale = 0;
  if (unit.empty() || unit == "s")
    scale = 1;
  else if (unit == "m" || unit == "min")
    scale = 60;
  else if (unit == "h")
    scale = 3600;
  else if (unit == "d")
    scale = 86400;
  else if (unit == "w")
    scale = 7 * 86400;
  if (end == begin || scale == 0 || !std::isfinite(v) || v <= 0)
    throw InputError(where, "a positive duration such as 30d, 720h, 90m or 3600 (seconds)", "\"" + text + "\"");
  return v * scale;
}

}  // namespace trainsim
