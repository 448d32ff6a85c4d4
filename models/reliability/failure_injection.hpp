#pragma once
// Seeded failure injection: failure times over a horizon from exponential inter-arrival times
// (a Poisson process), drawn with std::mt19937_64 and an explicit inverse-CDF transform so the
// sequence is identical on every standard library (std::exponential_distribution is not
// specified bit-for-bit across implementations).
#include <cstdint>
#include <random>
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

/// The failures of a job as an unbounded stream in time order, for replays that do not know their
/// horizon in advance (a training run's wall clock depends on its failures). Its first events are
/// exactly inject_failures(..., horizon, seed) for any horizon: same two generators, same draws.
class FailureStream {
 public:
  FailureStream(const FailureRates& f, int gpus, int nodes, int links, std::uint64_t seed);
  /// The next failure; time_s is +infinity when every rate is 0 (the job never fails).
  FailureEvent next();
  double rate_per_s() const { return rate_per_s_; }

 private:
  std::mt19937_64 times_, pick_;
  double rg_ = 0, rn_ = 0, rl_ = 0, rate_per_s_ = 0, t_ = 0;
  int gpus_ = 0, nodes_ = 0, links_ = 0;
};

/// Arrival times in [0, horizon_s) of a Poisson process of `rate_per_s`, deterministic for `seed`.
/// Throws InputError when more than 10 million arrivals are expected.
std::vector<double> exponential_arrivals(double rate_per_s, double horizon_s, std::uint64_t seed);

/// Failures of a job over `horizon_s`: job-level arrivals at the summed rate, each assigned a
/// kind in proportion to its share of the rate and a uniform component index.
std::vector<FailureEvent> inject_failures(const FailureRates& f, int gpus, int nodes, int links, double horizon_s,
                                          std::uint64_t seed);

}  // namespace trainsim
