#include "models/util/json_reader.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

namespace trainsim {

JsonReader::JsonReader(const nlohmann::json& j, std::string origin, std::string path)
    : j_(j), origin_(std::move(origin)), path_(std::move(path)) {
  if (!j_.is_object()) throw InputError(where(), "an object", describe(j_));
}

std::string JsonReader::where() const { return origin_ + ": " + path_; }
std::string JsonReader::where(const std::string& key) const { return origin_ + ": " + path_ + "." + key; }

bool JsonReader::has(const std::string& key) const { return j_.contains(key); }
bool JsonReader::present(const std::string& key) const { return j_.contains(key) && !j_.at(key).is_null(); }

std::string JsonReader::describe(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_string()) return "string \"" + v.get<std::string>() + "\"";
  if (v.is_boolean()) return std::string("boolean ") + (v.get<bool>() ? "true" : "false");
  if (v.is_number()) return "number " + v.dump();
  if (v.is_array()) return "an array of " + std::to_string(v.size());
  if (v.is_object()) return "an object";
  return v.dump();
}

const nlohmann::json& JsonReader::member(const std::string& key, const char* expected) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) throw InputError(where(key), expected, "nothing (missing)");
  return *it;
}

std::string JsonReader::str(const std::string& key) const {
  const auto& v = member(key, "a string");
  if (!v.is_string()) throw InputError(where(key), "a string", describe(v));
  return v.get<std::string>();
}

std::optional<std::string> JsonReader::opt_str(const std::string& key) const {
  if (!present(key)) return std::nullopt;
  return str(key);
}

static std::string join_choices(const std::vector<std::string>& c) {
  std::string s = "one of";
  for (size_t i = 0; i < c.size(); ++i) s += (i ? ", \"" : " \"") + c[i] + "\"";
  return s;
}

std::string JsonReader::choice(const std::string& key, const std::vector<std::string>& choices) const {
  const auto& v = member(key, join_choices(choices).c_str());
  if (!v.is_string()) throw InputError(where(key), join_choices(choices), describe(v));
  auto s = v.get<std::string>();
  for (const auto& c : choices)
    if (c == s) return s;
  throw InputError(where(key), join_choices(choices), describe(v));
}

std::optional<std::string> JsonReader::opt_choice(const std::string& key,
                                                  const std::vector<std::string>& choices) const {
  if (!present(key)) return std::nullopt;
  return choice(key, choices);
}

std::int64_t JsonReader::integer(const std::string& key, std::int64_t min, std::int64_t max) const {
  std::string expected = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  const auto& v = member(key, expected.c_str());
  std::int64_t x = 0;
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(max))
      throw InputError(where(key), expected, describe(v));
    x = v.get<std::int64_t>();
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || d < -9.2e18 || d > 9.2e18)
      throw InputError(where(key), expected, describe(v));
    x = static_cast<std::int64_t>(d);
  } else {
    throw InputError(where(key), expected, describe(v));
  }
  if (x < min || x > max) throw InputError(where(key), expected, describe(v));
  return x;
}

std::optional<std::int64_t> JsonReader::opt_integer(const std::string& key, std::int64_t min, std::int64_t max) const {
  if (!present(key)) return std::nullopt;
  return integer(key, min, max);
}

double JsonReader::number(const std::string& key, double min, double max) const {
  std::ostringstream e;
  e << "a number in [" << min << ", " << max << "]";
  const auto& v = member(key, e.str().c_str());
  if (!v.is_number()) throw InputError(where(key), e.str(), describe(v));
  double d = v.get<double>();
  if (!std::isfinite(d) || d < min || d > max) throw InputError(where(key), e.str(), describe(v));
  return d;
}

std::optional<double> JsonReader::opt_number(const std::string& key, double min, double max) const {
  if (!present(key)) return std::nullopt;
  return number(key, min, max);
}

bool JsonReader::boolean(const std::string& key) const {
  const auto& v = member(key, "true or false");
  if (!v.is_boolean()) throw InputError(where(key), "true or false", describe(v));
  return v.get<bool>();
}

std::optional<bool> JsonReader::opt_boolean(const std::string& key) const {
  if (!present(key)) return std::nullopt;
  return boolean(key);
}

JsonReader JsonReader::object(const std::string& key) const {
  const auto& v = member(key, "an object");
  if (!v.is_object()) throw InputError(where(key), "an object", describe(v));
  return JsonReader(v, origin_, path_ + "." + key);
}

std::optional<JsonReader> JsonReader::opt_object(const std::string& key) const {
  if (!present(key)) return std::nullopt;
  return object(key);
}

std::vector<JsonReader> JsonReader::array(const std::string& key) const {
  const auto& v = member(key, "an array of objects");
  if (!v.is_array()) throw InputError(where(key), "an array of objects", describe(v));
  std::vector<JsonReader> out;
  for (size_t i = 0; i < v.size(); ++i)
    out.emplace_back(v[i], origin_, path_ + "." + key + "[" + std::to_string(i) + "]");
  return out;
}

void JsonReader::reject_unknown(const std::vector<std::string>& known) const {
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    bool ok = false;
    for (const auto& k : known) ok = ok || (k == it.key());
    if (!ok) {
      std::string exp = "a known key (";
      for (size_t i = 0; i < known.size(); ++i) exp += (i ? ", " : "") + known[i];
      throw InputError(where(it.key()), exp + ")", "unknown key \"" + it.key() + "\"");
    }
  }
}

nlohmann::json parse_json_text(const std::string& text, const std::string& origin) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(origin, "valid JSON", std::string("a syntax error (") + e.what() + ")");
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range 406: a number literal beyond double range ("1E28256"); found by fuzzing.
    throw InputError(origin, "valid JSON with numbers in double range", std::string("(") + e.what() + ")");
  }
}

nlohmann::json read_json_file(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file, "a readable file", "no such file or it cannot be opened");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_json_text(ss.str(), file);
}

}  // namespace trainsim
