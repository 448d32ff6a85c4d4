#pragma once
// Minimal argument parsing for trainsim-hw (no CLI11 dependency: the GPU machine may lack it).
#include <map>
#include <string>
#include <vector>

namespace trainsim::hw {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  ///< "--name" -> value ("" for flags)
  bool has(const std::string& k) const { return options.count(k) != 0; }
  std::string get(const std::string& k, const std::string& def = "") const;
  int get_int(const std::string& k, int def) const;
  double get_double(const std::string& k, double def) const;
};

/// `flags` lists the options that take no value.
Args parse_args(int argc, char** argv, int first, const std::vector<std::string>& flags);

}  // namespace trainsim::hw
