#include "models/reliability/failure_injection.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "models/util/errors.hpp"

namespace trainsim {

namespace {
// Uniform in [0, 1) from the top 53 bits of one 64-bit draw.
double uniform01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }
// Exponential variate by inversion: -ln(1 - u) / rate, with 1 - u in (0, 1].
double exponential(std::mt19937_64& g, double rate) { return -std::log1p(-uniform01(g)) / rate; }

constexpr double kMaxExpectedArrivals = 1e7;
}  // namespace

const char* to_string(FailureKind k) {
  switch (k) {
    case FailureKind::Gpu: return "gpu";
    case FailureKind::Node: return "node";
    case FailureKind::Link: return "link";
  }
  return "?";
}

std::vector<double> exponential_arrivals(double rate_per_s, double horizon_s, std::uint64_t seed) {
  if (rate_per_s < 0 || horizon_s < 0) throw InternalError("exponential_arrivals: negative rate or horizon");
  std::vector<double> out;
  if (rate_per_s == 0 || horizon_s == 0) return out;
  if (rate_per_s * horizon_s > kMaxExpectedArrivals)
    throw InputError("failure injection: " + std::to_string(rate_per_s * horizon_s) +
                     " expected failures over the horizon (limit 1e7)");
  std::mt19937_64 g(seed);
  for (double t = exponential(g, rate_per_s); t < horizon_s; t += exponential(g, rate_per_s)) out.push_back(t);
  return out;
}

std::vector<FailureEvent> inject_failures(const FailureRates& f, int gpus, int nodes, int links, double horizon_s,
                                          std::uint64_t seed) {
  const double rg = f.per_gpu_hour * gpus, rn = f.per_node_hour * nodes, rl = f.per_link_hour * links;
  const double total_per_s = job_failure_rate_per_s(f, gpus, nodes, links);
  std::vector<FailureEvent> out;
  auto times = exponential_arrivals(total_per_s, horizon_s, seed);
  // A second stream (seed + golden-ratio constant) picks kinds and indices, so adding those
  // choices never changes the failure times of a seed.
  std::mt19937_64 pick(seed ^ 0x9E3779B97F4A7C15ULL);
  const double sum = rg + rn + rl;
  out.reserve(times.size());
  for (double t : times) {
    FailureEvent e;
    e.time_s = t;
    double u = uniform01(pick) * sum;
    int count = gpus;
    if (u < rg) {
      e.kind = FailureKind::Gpu;
    } else if (u < rg + rn) {
      e.kind = FailureKind::Node;
      count = nodes;
    } else {
      e.kind = FailureKind::Link;
      count = links;
    }
    e.index = count > 0 ? static_cast<int>(std::min<double>(count - 1, std::floor(uniform01(pick) * count))) : 0;
    out.push_back(e);
  }
  return out;
}

}  // namespace trainsim
