#include "sim/metrics/timeline.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "sim/metrics/activity.hpp"

namespace trainsim {

RankSums& RankSums::operator+=(const RankSums& o) {
  auto& b = breakdown;
  b.forward += o.breakdown.forward;
  b.backward += o.breakdown.backward;
  b.recompute += o.breakdown.recompute;
  b.tp_comm_exposed += o.breakdown.tp_comm_exposed;
  b.dp_comm_exposed += o.breakdown.dp_comm_exposed;
  b.optimizer += o.breakdown.optimizer;
  compute_bound += o.compute_bound;
  memory_bound += o.memory_bound;
  inline_comm += o.inline_comm;
  comm_exposed += o.comm_exposed;
  return *this;
}

RankSums RankSums::operator*(double k) const {
  RankSums r = *this;
  auto& b = r.breakdown;
  b.forward *= k, b.backward *= k, b.recompute *= k, b.tp_comm_exposed *= k, b.dp_comm_exposed *= k, b.optimizer *= k;
  r.compute_bound *= k, r.memory_bound *= k, r.inline_comm *= k, r.comm_exposed *= k;
  return r;
}

namespace {

using Interval = std::pair<double, double>;
using Intervals = std::vector<Interval>;

/// `v` (sorted by start unless `sorted` is false) as disjoint sorted intervals, in place.
void merge_in_place(Intervals& v) {
  if (!std::is_sorted(v.begin(), v.end())) std::sort(v.begin(), v.end());
  std::size_t n = 0;
  for (const auto& iv : v) {
    if (iv.second <= iv.first) continue;
    if (n > 0 && iv.first <= v[n - 1].second)
      v[n - 1].second = std::max(v[n - 1].second, iv.second);
    else
      v[n++] = iv;
  }
  v.resize(n);
}

/// Seconds of [a, b) not covered by the sorted, disjoint intervals `busy`, from position `from`
/// (advanced past the intervals that end before a: callers pass ascending a).
double uncovered(double a, double b, const Intervals& busy, std::size_t& from) {
  while (from < busy.size() && busy[from].second <= a) ++from;
  double free = 0, cur = a;
  for (std::size_t i = from; i < busy.size() && cur < b; ++i) {
    if (busy[i].first >= b) break;
    if (busy[i].first > cur) free += busy[i].first - cur;
    cur = std::max(cur, busy[i].second);
  }
  if (cur < b) free += b - cur;
  return free;
}

double length(const Intervals& v) {
  double s = 0;
  for (const auto& [a, b] : v) s += b - a;
  return s;
}

/// Length of `a` minus its overlap with `b` (both disjoint and sorted).
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

bool beside_compute(Stream s) { return s == Stream::DpComm || s == Stream::ParamComm; }

}  // namespace

void add_compute_op(RankSums& r, const RankTimeline::Compute& c) {
  auto& b = r.breakdown;
  const double d = c.end - c.start - c.inner_comm;
  b.tp_comm_exposed += c.inner_comm;
  if (c.phase == Phase::Forward)
    b.forward += d;
  else if (c.phase == Phase::Backward)
    b.backward += d;
  else if (c.phase == Phase::Recompute)
    b.recompute += d;
  else
    b.optimizer += d;
  if (c.host != HostSide::None) return;
  const double span = std::max(0.0, c.end - c.start);
  const double kernels = std::max(0.0, span - c.inner_comm);
  r.compute_bound += kernels * c.compute_bound_share;
  r.memory_bound += kernels * (1 - c.compute_bound_share);
  r.inline_comm += std::min(span, c.inner_comm);
}

RankSums sum_timeline(const RankTimeline& t) {
  RankSums r;
  r.stage = t.stage;
  auto& b = r.breakdown;
  thread_local Intervals all_compute, gpu_compute, comm;
  thread_local std::array<Intervals, kNumStreams> by_stream;
  all_compute.clear();
  gpu_compute.clear();
  comm.clear();
  for (const auto& c : t.compute) {
    add_compute_op(r, c);
    all_compute.emplace_back(c.start, c.end);
    if (c.host == HostSide::Copy) by_stream[static_cast<int>(Stream::Compute)].emplace_back(c.start, c.end);
    if (c.host == HostSide::None) gpu_compute.emplace_back(c.start, c.end);
  }
  merge_in_place(all_compute);
  merge_in_place(gpu_compute);
  for (const auto& c : t.comm) by_stream[static_cast<int>(c.stream)].emplace_back(c.start, c.end);
  // Each stream's ops in start order: the data-parallel ones' exposure by a sweep, and all of them
  // merged (stream by stream, as sorted runs) for the activity.
  for (int s = 0; s < kNumStreams; ++s) {
    auto& v = by_stream[s];
    if (!std::is_sorted(v.begin(), v.end())) std::sort(v.begin(), v.end());
    if (beside_compute(static_cast<Stream>(s))) {
      std::size_t from = 0;
      for (const auto& [a, e] : v) b.dp_comm_exposed += uncovered(a, e, all_compute, from);
    }
    const auto mid = comm.size();
    comm.insert(comm.end(), v.begin(), v.end());
    std::inplace_merge(comm.begin(), comm.begin() + static_cast<std::ptrdiff_t>(mid), comm.end());
    v.clear();
  }
  merge_in_place(comm);
  r.comm_exposed = minus_overlap(comm, gpu_compute);
  return r;
}

TimeBreakdown busiest_breakdown(const std::vector<RankSums>& ranks, double T) {
  TimeBreakdown out;
  double most = -1;
  for (const auto& r : ranks) {
    const auto& b = r.breakdown;
    const double work = b.forward + b.backward + b.recompute + b.tp_comm_exposed + b.optimizer;
    if (work > most) {
      most = work;
      out = b;
      out.pipeline_bubble = std::max(0.0, T - work - b.dp_comm_exposed);
      out.stage = r.stage;
    }
  }
  return out;
}

ActivityBreakdown mean_activity(const std::vector<RankSums>& ranks, double T) {
  ActivityBreakdown a;
  if (ranks.empty()) {
    a.idle_s = T;
    return a;
  }
  for (const auto& r : ranks) {
    // Never more than the iteration: scale down if the parts overrun it (rounding).
    double c = r.compute_bound, m = r.memory_bound, x = r.inline_comm + r.comm_exposed;
    const double sum = c + m + x;
    if (sum > T && sum > 0) {
      const double k = T / sum;
      c *= k, m *= k, x *= k;
    }
    a.compute_s += c;
    a.memory_s += m;
    a.comm_s += x;
    a.idle_s += std::max(0.0, T - c - m - x);
  }
  const double n = static_cast<double>(ranks.size());
  a.compute_s /= n, a.memory_s /= n, a.comm_s /= n, a.idle_s /= n;
  return a;
}

std::vector<RankTimeline> timelines_from_trace(const Plan& plan, const Trace& trace, const ComputeModel& cm) {
  std::vector<double> share(plan.blocks.size(), -1.0);
  std::vector<int> host(plan.blocks.size(), -1);
  auto host_side_of = [&](int b) {
    if (host[b] < 0) {
      const auto& ks = plan.blocks[b].kernels;
      host[b] = ks.empty() || !std::all_of(ks.begin(), ks.end(), [](const Kernel& k) { return host_side(k.kind); }) ? 0
                : std::any_of(ks.begin(), ks.end(), [](const Kernel& k) { return k.kind == KernelKind::HostCopy; }) ? 1
                                                                                                                    : 2;
    }
    return static_cast<HostSide>(host[b]);
  };
  std::map<int, RankTimeline> ranks;
  for (const auto& e : trace.events) {
    auto& r = ranks[e.rank];
    r.stage = plan.coord(e.rank).pp;
    if (e.kind == OpKind::Compute) {
      RankTimeline::Compute c;
      c.start = e.start;
      c.end = e.end;
      c.inner_comm = e.inner_comm;
      c.phase = e.phase;
      if (e.op >= 0) {
        const auto& prog = plan.programs.at(r.stage).ops;
        if (e.op < static_cast<int>(prog.size()) && prog[e.op].block >= 0) {
          const int b = prog[e.op].block;
          c.host = host_side_of(b);
          if (share[b] < 0) share[b] = compute_bound_share(plan.blocks[b], cm);
          c.compute_bound_share = share[b];
        }
      }
      r.compute.push_back(c);
    } else if (e.kind != OpKind::Recv) {
      // A Recv spans the wait for the sender too: that time is idle (the pipeline bubble); the
      // transfer itself is the matching Send's interval.
      r.comm.push_back({e.start, e.end, e.stream});
    }
  }
  std::vector<RankTimeline> out;
  out.reserve(ranks.size());
  for (auto& [rank, t] : ranks) out.push_back(std::move(t));
  return out;
}

}  // namespace trainsim
