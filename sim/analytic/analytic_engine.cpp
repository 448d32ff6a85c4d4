#include "sim/analytic/analytic_engine.hpp"

#include "sim/cost/plan_timing.hpp"
#include "sim/cost/sm_contention.hpp"

namespace trainsim {

AnalyticEngine::AnalyticEngine(const ClusterSpec& cluster, std::shared_ptr<const ComputeProfile> profile)
    : cluster_(cluster), compute_(cluster.gpu, std::move(profile)) {}

Trace AnalyticEngine::execute(const Plan& plan) const {
  const OpCosts costs(plan, cluster_, compute_);
  const int P = static_cast<int>(plan.programs.size());
  Trace trace;
  trace.engine = "analytic";
  TraceRecorder recorder(trace);
  std::vector<int> rep_rank(P);
  for (int p = 0; p < P; ++p) {
    RankCoord c;
    c.pp = p;
    rep_rank[p] = plan.rank_of(c);
    trace.ranks.push_back(rep_rank[p]);
  }
  std::vector<ExecutionObserver*> observers{&recorder};
  observers.insert(observers.end(), observers_.begin(), observers_.end());

  // Collectives beside the compute stream take SMs from it (sim/cost/sm_contention.hpp): the
  // contention-free schedule finds the overlaps, this one runs the compute ops that much longer.
  const auto delay = plan_sm_contention_delays(plan, costs, cluster_);
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
