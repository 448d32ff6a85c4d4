#pragma once
// JsonReader: typed, path-aware access to a JSON object. Every error names the file and
// JSON path ("$.strategy.tp"), what was expected and what was found; unknown keys are
// errors (a typo must not become a silent default).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/util/errors.hpp"

namespace trainsim {

class JsonReader {
 public:
  /// `origin` is a file name or "<inline>"; `path` is the JSON path of `j` ("$" for the root).
  JsonReader(const nlohmann::json& j, std::string origin, std::string path = "$");

  const nlohmann::json& json() const { return j_; }
  const std::string& origin() const { return origin_; }
  const std::string& path() const { return path_; }
  /// "file: $.a.b" for a member of this object.
  std::string where(const std::string& key) const;
  std::string where() const;

  bool has(const std::string& key) const;
  /// True when present and not null.
  bool present(const std::string& key) const;

  std::string str(const std::string& key) const;
  std::optional<std::string> opt_str(const std::string& key) const;
  /// A string that must be one of `choices`.
  std::string choice(const std::string& key, const std::vector<std::string>& choices) const;
  std::optional<std::string> opt_choice(const std::string& key, const std::vector<std::string>& choices) const;

  /// Integers in [min, max]; reals must be finite and within [min, max].
  std::int64_t integer(const std::string& key, std::int64_t min = 1,
                       std::int64_t max = std::numeric_limits<std::int64_t>::max()) const;
  std::optional<std::int64_t> opt_integer(const std::string& key, std::int64_t min = 1,
                                          std::int64_t max = std::numeric_limits<std::int64_t>::max()) const;
  double number(const std::string& key, double min = 0.0, double max = 1e300) const;
  std::optional<double> opt_number(const std::string& key, double min = 0.0, double max = 1e300) const;
  bool boolean(const std::string& key) const;
  std::optional<bool> opt_boolean(const std::string& key) const;

  JsonReader object(const std::string& key) const;
  std::optional<JsonReader> opt_object(const std::string& key) const;
  /// Elements of an array member, each with its own path ("$.jobs[2]").
  std::vector<JsonReader> array(const std::string& key) const;

  /// Throws if the object has a key outside `known`.
  void reject_unknown(const std::vector<std::string>& known) const;

  /// Describes a JSON value for messages: `"8"` (string), `8` (number), `null`.
  static std::string describe(const nlohmann::json& v);

 private:
  const nlohmann::json& member(const std::string& key, const char* expected) const;
  nlohmann::json j_;
  std::string origin_;
  std::string path_;
};

/// Parses a JSON file; a missing file or a syntax error is an InputError naming the file.
nlohmann::json read_json_file(const std::string& file);
/// Parses JSON text (for inline use and fuzzing); errors name `origin`.
nlohmann::json parse_json_text(const std::string& text, const std::string& origin);

}  // namespace trainsim
