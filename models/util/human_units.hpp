#pragma once
// Quantities in the unit a reader takes in at a glance, for reports and messages.
#include <string>

namespace trainsim {

/// "1.23 s", "4.5 ms", "2.1 days": seconds in the most readable unit.
std::string human_seconds(double s);
/// "1.5 GB", "20.3 MB": bytes in the most readable decimal unit.
std::string human_bytes(double b);
/// "412,100,000 USD", "443.20 USD": money with thousands grouped (cents below 10,000).
std::string human_usd(double usd);

}  // namespace trainsim
