// Fuzzes the published-record loader (one JSON line of the validation schema).
#include <cstddef>
#include <cstdint>
#include <string>

#include "models/util/json_reader.hpp"
#include "sim/validate/published_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto j = trainsim::parse_json_text(text, "<fuzz>");
    (void)trainsim::parse_published_record(j, "<fuzz>");
  } catch (const trainsim::InputError&) {
  }
  return 0;
}
