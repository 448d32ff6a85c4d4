#include "sim/metrics/activity.hpp"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

namespace trainsim {

double compute_bound_share(const Block& b, const ComputeModel& cm) {
  double bound = 0, total = 0;
  for (const auto& k : b.kernels) {
    if (k.kind == KernelKind::Collective) continue;
    const double t = cm.time(k);
    total += t;
    if (k.kind == KernelKind::Gemm || k.kind == KernelKind::Attention) bound += t;
  }
  return total > 0 ? bound / total : 1.0;
}

namespace {

using Intervals = std::vector<std::pair<double, double>>;

Intervals merge(Intervals v) {
  std::sort(v.begin(), v.end());
  Intervals out;
  for (const auto& iv : v) {
    if (iv.second <= iv.first) continue;
    if (!out.empty() && iv.first <= out.back().second)
      out.back().second = std::max(out.back().second, iv.second);
    else
      out.push_back(iv);
  }
  return out;
}

double length(const Intervals& v) {
  double s = 0;
  for (const auto& [a, b] : v) s += b - a;
  return s;
}

/// Length of `a` minus its overlap with `b` (both merged and sorted).
double minus_overlap(const Intervals& a, const Intervals& b) {
  double overlap = 0;
  size_t j = 0;
  for (const auto& [s, e] : a) {
    while (j < b.size() && b[j].second <= s) ++j;
    for (size_t k = j; k < b.size() && b[k].first < e; ++k)
      overlap += std::min(e, b[k].second) - std::max(s, b[k].first);
  }
  return length(a) - overlap;
}

}  // namespace

ActivityBreakdown activity_from_trace(const Plan& plan, const Trace& trace, const ComputeModel& cm,
                                      double iteration_s) {
  std::vector<double> share(plan.blocks.size(), -1.0);
  // 0: GPU kernels, 1: host-link copies, 2: host-only work (optimizer offload).
  auto host_class = [&plan](int b) {
    const auto& ks = plan.blocks[b].kernels;
    if (ks.empty() || !std::all_of(ks.begin(), ks.end(), [](const Kernel& k) { return host_side(k.kind); })) return 0;
    return std::any_of(ks.begin(), ks.end(), [](const Kernel& k) { return k.kind == KernelKind::HostCopy; }) ? 1 : 2;
  };
  struct Rank {
    double compute = 0, memory = 0, inline_comm = 0;
    Intervals busy, comm;
  };
  std::map<int, Rank> ranks;
  for (const auto& e : trace.events) {
    auto& r = ranks[e.rank];
    const double d = std::max(0.0, e.end - e.start);
    if (e.kind == OpKind::Compute) {
      const double kernels = std::max(0.0, d - e.inner_comm);
      double f = 1.0;
      if (e.op >= 0) {
        const auto& prog = plan.programs.at(plan.coord(e.rank).pp).ops;
        if (e.op < static_cast<int>(prog.size()) && prog[e.op].block >= 0) {
          const int b = prog[e.op].block;
          if (const int hc = host_class(b)) {
            if (hc == 1) r.comm.push_back({e.start, e.end});
            continue;
          }
          if (share[b] < 0) share[b] = compute_bound_share(plan.blocks[b], cm);
          f = share[b];
        }
      }
      r.compute += kernels * f;
      r.memory += kernels * (1 - f);
      r.inline_comm += std::min(d, e.inner_comm);
      r.busy.push_back({e.start, e.end});
    } else if (e.kind != OpKind::Recv) {
      // A Recv spans the wait for the sender too: that time is idle (the pipeline bubble); the
      // transfer itself is the matching Send's interval.
      r.comm.push_back({e.start, e.end});
    }
  }
  ActivityBreakdown a;
  if (ranks.empty()) {
    a.idle_s = iteration_s;
    return a;
  }
  for (auto& [id, r] : ranks) {
    const Intervals busy = merge(r.busy), comm = merge(r.comm);
    const double exposed = minus_overlap(comm, busy);
    // Never more than the iteration: scale down if the trace's parts overrun it (rounding).
    double c = r.compute, m = r.memory, x = r.inline_comm + exposed;
    const double sum = c + m + x;
    if (sum > iteration_s && sum > 0) {
      const double k = iteration_s / sum;
      c *= k, m *= k, x *= k;
    }
    a.compute_s += c;
    a.memory_s += m;
    a.comm_s += x;
    a.idle_s += std::max(0.0, iteration_s - c - m - x);
  }
  const double n = static_cast<double>(ranks.size());
  a.compute_s /= n, a.memory_s /= n, a.comm_s /= n, a.idle_s /= n;
  return a;
}

}  // namespace trainsim
