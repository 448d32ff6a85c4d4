#include "sim/cost/sm_contention.hpp"

#include <algorithm>
#include <numeric>

namespace trainsim {

bool runs_beside_compute(const Op& op) {
  return op.kind == OpKind::Collective && (op.stream == Stream::DpComm || op.stream == Stream::ParamComm);
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
    // one after another on theirs: a two-pointer sweep per side stream finds every overlap.
    std::vector<int> compute;
    for (int i = 0; i < static_cast<int>(ops.size()); ++i)
      if (ops[i].kind == OpKind::Compute) compute.push_back(i);
    auto by_start = [&](int a, int b) { return st[a] < st[b]; };
    std::sort(compute.begin(), compute.end(), by_start);
    for (Stream side : {Stream::DpComm, Stream::ParamComm}) {
      std::vector<int> comm;
      for (int i = 0; i < static_cast<int>(ops.size()); ++i)
        if (runs_beside_compute(ops[i]) && ops[i].stream == side && en[i] > st[i]) comm.push_back(i);
      if (comm.empty()) continue;
      std::sort(comm.begin(), comm.end(), by_start);
      std::size_t c0 = 0;
      for (int j : compute) {
        while (c0 < comm.size() && en[comm[c0]] <= st[j]) ++c0;
        for (std::size_t c = c0; c < comm.size() && st[comm[c]] < en[j]; ++c) {
          const double o = std::min(en[j], en[comm[c]]) - std::max(st[j], st[comm[c]]);
          if (o <= 0) continue;
          const int k = std::min(costs.collective_sms(ops[comm[c]]), sm_count - 1);
          delay[p][j] += o * k / sm_count;
        }
      }
    }
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
