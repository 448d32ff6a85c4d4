// Fuzzes the sweep loader: the sweep object (inline base scenario, grid, points, engine, output)
// and the scenario of the first and last points after their overrides. Any input must load or
// raise an InputError; never crash, hang or allocate without bound (grids are enumerated lazily).
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/search/sweep_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto j = trainsim::parse_json_text(text, "<fuzz>");
    const auto spec = trainsim::parse_sweep(j, "<fuzz>", "/nonexistent");
    const std::size_t n = spec.size();
    for (std::size_t i : {std::size_t{0}, n / 2, n - 1}) (void)trainsim::scenario_for(spec, spec.point(i));
  } catch (const trainsim::InputError&) {
  }
  return 0;
}
