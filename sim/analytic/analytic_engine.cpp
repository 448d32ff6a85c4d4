#include "sim/analytic/analytic_engine.hpp"

#include "sim/cost/plan_timing.hpp"
#include "sim/cost/sm_contention.hpp"
#include "sim/cost/stragglers.hpp"

namespace trainsim {

AnalyticEngine::AnalyticEngine(const ClusterSpec& cluster, std::shared_ptr<const ComputeProfile> profile)
    : cluster_(cluster), compute_(cluster.gpu, std::move(profile)) {}

Trace AnalyticEngine::execute(const Plan& plan) const {
  const OpCosts costs(plan, cluster_, compute_);
  const int P = static_cast<int>(plan.programs.size());
  Trace trace;
  trace.engine = "analytic";
  TraceRecorder recorder(trace);
  std::vector<ExecutionObserver*> observers{&recorder};
  observers.insert(observers.end(), observers_.begin(), observers_.end());

  // Collectives beside the compute stream take SMs from it (sim/cost/sm_contention.hpp): the
  // contention-free schedule finds the overlaps, this one runs the compute ops that much longer.
  const auto sm_delay = plan_sm_contention_delays(plan, costs, cluster_);
  // Slow GPUs (sim/cost/stragglers.hpp): every distinct pipeline replica is timed with its stages'
  // compute at their clocks; the slowest replica is the iteration (the gradient reduction waits
  // for it) and the one traced.
  const std::vector<ReplicaClocks> replicas = replica_clocks(plan, cluster_);
  auto delays_of = [&](const ReplicaClocks& rc) {
    std::vector<std::vector<double>> d(P);
    for (int p = 0; p < P; ++p) {
      const auto& ops = plan.programs[p].ops;
      d[p].assign(ops.size(), 0.0);
      if (!sm_delay.empty()) d[p] = sm_delay[p];
      const double slow = 1.0 / rc.stage_clock[p] - 1.0;
      for (std::size_t i = 0; i < ops.size(); ++i)
        if (ops[i].kind == OpKind::Compute) d[p][i] += costs.block(ops[i].block).compute * slow;
    }
    return d;
  };
  std::vector<std::vector<double>> delay = sm_delay;
  int traced_dp = 0;
  if (!replicas.empty()) {
    double worst = -1;
    for (const auto& rc : replicas) {
      auto d = delays_of(rc);
      const double t = time_plan(plan, costs, &d).makespan();
      if (t > worst) {
        worst = t;
        delay = std::move(d);
        traced_dp = std::max(0, rc.dp);
      }
    }
  }

  std::vector<int> rep_rank(P);
  for (int p = 0; p < P; ++p) {
    RankCoord c;
    c.pp = p;
    c.dp = traced_dp;
    rep_rank[p] = plan.rank_of(c);
    trace.ranks.push_back(rep_rank[p]);
  }
  const OpSchedule sched =
      time_plan(plan, costs, delay.empty() ? nullptr : &delay, [&](int p, int i, double st, double en) {
        const Op& op = plan.programs[p].ops[i];
        const double inner = op.kind == OpKind::Compute ? costs.block(op.block).comm : 0.0;
        const TraceEvent e = trace_event(op, rep_rank[p], i, st, en, inner);
        for (auto* o : observers) o->on_op_finished(e);
      });
  trace.iteration_time = sched.makespan();
  return trace;
}

}  // namespace trainsim
