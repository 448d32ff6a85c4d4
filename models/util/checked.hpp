#pragma once
// Checked integer arithmetic for byte, FLOP and element counts. Sizes multiply quickly
// (layers x hidden^2 x batch x sequence); an overflow must be an error, never a wrap.
#include <cstdint>
#include <limits>
#include <string>

#include "models/util/errors.hpp"

namespace trainsim {

inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    throw InputError(std::string(what) + ": size overflows 64-bit arithmetic (" + std::to_string(a) + " x " +
                     std::to_string(b) + ")");
  return r;
}

inline std::int64_t checked_add(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw InputError(std::string(what) + ": size overflows 64-bit arithmetic");
  return r;
}

}  // namespace trainsim
