#include "sim/cost/sm_contention.hpp"

#include <algorithm>
#include <numeric>

namespace trainsim {

bool runs_beside_compute(const Op& op) {
  return op.kind == OpKind::Collective && (op.stream == Stream::DpComm || op.stream == Stream::ParamComm);
}

void add_contention_delays(const std::vector<std::pair<double, double>>& compute, const std::vector<SideInterval>& side,
                           int sm_count, std::vector<double>& delay) {
  if (sm_count <= 0) return;
  std::size_t c0 = 0;
  for (std::size_t j = 0; j < compute.size(); ++j) {
    const auto [cs, ce] = compute[j];
    while (c0 < side.size() && side[c0].end <= cs) ++c0;
    for (std::size_t c = c0; c < side.size() && side[c].start < ce; ++c) {
      delay[j] += contention_delay(std::min(ce, side[c].end) - std::max(cs, side[c].start), side[c].sms, sm_count);
    }
  }
}

std::vector<std::vector<double>> sm_contention_delays(const Plan& plan, const OpCosts& costs, int sm_count,
                                                      const OpSchedule& schedule) {
  const int P = static_cast<int>(plan.programs.size());
  std::vector<std::vector<double>> delay(P);
  for (int p = 0; p < P; ++p) {
    const auto& ops = plan.programs[p].ops;
    const auto& st = schedule.start[p];
    const auto& en = schedule.end[p];
    delay[p].assign(ops.size(), 0.0);
    if (sm_count <= 0) continue;
    // Compute ops run one after another on the compute stream; collectives of one side stream
    // one after another on theirs.
    std::vector<int> compute;
    for (int i = 0; i < static_cast<int>(ops.size()); ++i)
      if (ops[i].kind == OpKind::Compute) compute.push_back(i);
    auto by_start = [&](int a, int b) { return st[a] < st[b]; };
    std::sort(compute.begin(), compute.end(), by_start);
    std::vector<std::pair<double, double>> intervals;
    for (int j : compute) intervals.emplace_back(st[j], en[j]);
    std::vector<double> d(compute.size(), 0.0);
    for (Stream stream : {Stream::DpComm, Stream::ParamComm}) {
      std::vector<int> comm;
      for (int i = 0; i < static_cast<int>(ops.size()); ++i)
        if (runs_beside_compute(ops[i]) && ops[i].stream == stream && en[i] > st[i]) comm.push_back(i);
      if (comm.empty()) continue;
      std::sort(comm.begin(), comm.end(), by_start);
      std::vector<SideInterval> side;
      for (int c : comm) side.push_back({st[c], en[c], costs.collective_sms(ops[c])});
      add_contention_delays(intervals, side, sm_count, d);
    }
    for (std::size_t j = 0; j < compute.size(); ++j) delay[p][compute[j]] = d[j];
  }
  return delay;
}

std::vector<std::vector<double>> plan_sm_contention_delays(const Plan& plan, const OpCosts& costs,
                                                           const ClusterSpec& cluster) {
  if (cluster.nccl_sms == 0) return {};
  bool beside = false;
  for (const auto& pr : plan.programs)
    for (const auto& op : pr.ops) beside = beside || runs_beside_compute(op);
  if (!beside) return {};
  return sm_contention_delays(plan, costs, cluster.gpu.sm_count, time_plan(plan, costs));
}

}  // namespace trainsim
