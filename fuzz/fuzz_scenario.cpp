// Fuzzes the scenario loader and the strategy checks: any input must load or raise an
// InputError; never crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/scenario/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto j = trainsim::parse_json_text(text, "<fuzz>");
    (void)trainsim::parse_scenario(j, "<fuzz>", "/nonexistent");
  } catch (const trainsim::InputError&) {
  }
  return 0;
}
