#pragma once
// Error classes shared by every layer. Input errors are values the user can fix (exit 2);
// internal errors are bugs or resource failures (exit 1). See docs/errors.md.
#include <stdexcept>
#include <string>

namespace trainsim {

/// A problem with the user's input: names the file and JSON path, what was expected and found.
class InputError : public std::runtime_error {
 public:
  InputError(std::string where, std::string expected, std::string found)
      : std::runtime_error(where + ": expected " + expected + ", found " + found),
        where_(std::move(where)),
        expected_(std::move(expected)),
        found_(std::move(found)) {}
  /// A free-form input error (for checks that involve several fields).
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
  const std::string& where() const { return where_; }
  const std::string& expected() const { return expected_; }
  const std::string& found() const { return found_; }

 private:
  std::string where_, expected_, found_;
};

/// A broken invariant inside trainsim (a bug), never caused by input alone.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace trainsim
