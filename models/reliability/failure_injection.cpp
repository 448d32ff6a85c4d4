#include "models/reliability/failure_injection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
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

FailureStream::FailureStream(const FailureRates& f, int gpus, int nodes, int links, std::uint64_t seed)
    : times_(seed),
      // A second stream (seed ^ golden-ratio constant) picks kinds and indices, so adding those
      // choices never changes the failure times of a seed.
      pick_(seed ^ 0x9E3779B97F4A7C15ULL),
      rg_(f.per_gpu_hour * gpus),
      rn_(f.per_node_hour * nodes),
      rl_(f.per_link_hour * links),
      rate_per_s_(job_failure_rate_per_s(f, gpus, nodes, links)),
      gpus_(gpus),
      nodes_(nodes),
      links_(links) {
  if (!(rate_per_s_ >= 0)) throw InternalError("FailureStream: negative or NaN failure rate");
}

FailureEvent FailureStream::next() {
  FailureEvent e;
  if (rate_per_s_ == 0) {
    e.time_s = std::numeric_limits<double>::infinity();
    return e;
  }
  t_ += exponential(times_, rate_per_s_);  // the same sum exponential_arrivals forms
  e.time_s = t_;
  double u = uniform01(pick_) * (rg_ + rn_ + rl_);
  int count = gpus_;
  if (u < rg_) {
    e.kind = FailureKind::Gpu;
  } else if (u < rg_ + rn_) {
    e.kind = FailureKind::Node;
    count = nodes_;
  } else {
    e.kind = FailureKind::Link;
    count = links_;
  }
  e.index = count > 0 ? static_cast<int>(std::min<double>(count - 1, std::floor(uniform01(pick_) * count))) : 0;
  return e;
}

std::vector<FailureEvent> inject_failures(const FailureRates& f, int gpus, int nodes, int links, double horizon_s,
                                          std::uint64_t seed) {
  if (horizon_s < 0) throw InternalError("inject_failures: negative horizon");
  FailureStream stream(f, gpus, nodes, links, seed);
  if (stream.rate_per_s() * horizon_s > kMaxExpectedArrivals)
    throw InputError("failure injection: " + std::to_string(stream.rate_per_s() * horizon_s) +
                     " expected failures over the horizon (limit 1e7)");
  std::vector<FailureEvent> out;
  for (FailureEvent e = stream.next(); e.time_s < horizon_s; e = stream.next()) out.push_back(e);
  return out;
}

}  // namespace trainsim
