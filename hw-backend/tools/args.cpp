#include "hw-backend/tools/args.hpp"

#include <algorithm>

#include "models/util/errors.hpp"

namespace trainsim::hw {

std::string Args::get(const std::string& k, const std::string& def) const {
  auto it = options.find(k);
  return it == options.end() ? def : it->second;
}
int Args::get_int(const std::string& k, int def) const {
  if (!has(k)) return def;
  try {
    return std::stoi(get(k));
  } catch (const std::exception&) {
    throw InputError(k, "an integer", "\"" + get(k) + "\"");
  }
}
double Args::get_double(const std::string& k, double def) const {
  if (!has(k)) return def;
  try {
    return std::stod(get(k));
  } catch (const std::exception&) {
    throw InputError(k, "a number", "\"" + get(k) + "\"");
  }
}

Args parse_args(int argc, char** argv, int first, const std::vector<std::string>& flags) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      auto eq = s.find('=');
      if (eq != std::string::npos) {
        a.options[s.substr(0, eq)] = s.substr(eq + 1);
      } else if (std::find(flags.begin(), flags.end(), s) != flags.end()) {
        a.options[s] = "";
      } else {
        if (i + 1 >= argc) throw InputError(s, "a value", "end of arguments");
        a.options[s] = argv[++i];
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

}  // namespace trainsim::hw
