#pragma once
// Durations on the command line: "30d", "720h", "90m", "3600s" or a plain number of seconds.
#include <string>

namespace trainsim {

/// Seconds of `text`; InputError naming `where` when it is not a positive duration.
double parse_duration(const std::string& text, const std::string& where);

}  // namespace trainsim
