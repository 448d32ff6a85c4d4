#pragma once
// Seeded failure injection: failure times over a horizon from exponential inter-arrival times
// (a Poisson process), drawn with std::mt19937_64 and an explicit inverse-CDF transform so the
// sequence is identical on every standard library (std::exponential_distribution is not
// specified bit-for-bit across implementations).
#include <cstdint>
#include <vector>

#include "models/reliability/failure_model.hpp"

namespace trainsim {

enum class FailureKind { Gpu, Node, Link };
const char* to_string(FailureKind k);

struct FailureEvent {
  double time_s = 0;
  FailureKind kind = FailureKind::Gpu;
  int index = 0;  ///< which GPU / node / link failed (uniform over that kind)
};

/// Arrival times in [0, horizon_s) of a Poisson process of `rate_per_s`, deterministic for `seed`.
/// Throws InputError when more than 10 million arrivals are expected.
std::vector<double> exponential_arrivals(double rate_per_s, double horizon_s, std::uint64_t seed);

/// Failures of a job over `horizon_s`: job-level arrivals at the summed rate, each assigned a
/// kind in proportion to its share of the rate and a uniform component index.
std::vector<FailureEvent> inject_failures(const FailureRates& f, int gpus, int nodes, int links, double horizon_s,
                                          std::uint64_t seed);

}  // namespace trainsim
