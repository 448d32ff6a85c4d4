// Fuzzes the calibration-profile loader (trainsim calibrate output, read through a scenario's
// options.profile): any input must load or raise an InputError, and a loaded profile must answer
// kernel-time queries with finite, non-negative times.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "models/calibration/profile.hpp"
#include "models/util/json_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto j = trainsim::parse_json_text(text, "<fuzz>");
    const auto p = trainsim::CalibrationProfile::from_json(j, "<fuzz>");
    (void)p.to_json();
    // A loaded profile answers queries with finite, non-negative rates (what the engines use).
    const double g = p.gemm_flops(2048, 4608, 12288, 1, trainsim::Precision::BF16);
    const double a = p.attention_flops(2048, 128, trainsim::Precision::BF16);
    const double m = p.memory_bandwidth();
    for (double v : {g, a, m})
      if (std::isnan(v) || v < 0) std::abort();
    (void)p.link();
  } catch (const trainsim::InputError&) {
  }
  return 0;
}
