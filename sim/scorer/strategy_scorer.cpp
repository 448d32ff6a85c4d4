#include "sim/scorer/strategy_scorer.hpp"

#include "sim/metrics/timeline.hpp"
#include "sim/plan/plan_units.hpp"
#include "sim/scenario/scenario_profile.hpp"
#include "sim/scorer/unit_costs.hpp"
#include "sim/scorer/unit_timing.hpp"

namespace trainsim {

StrategyScorer::StrategyScorer(const Scenario& base)
    : base_(base), compute_(base.cluster.gpu, load_profile_for(base)) {}

FastScore StrategyScorer::score(const Strategy& s) const {
  const auto& model = base_.workload.model;
  const auto& cluster = base_.cluster;
  const PlanUnits units = plan_units(model, s, cluster.used_per_node());
  const OpCosts costs(units, model, cluster, compute_, &segments_);
  const UnitScheduleCosts unit_costs = cost_units(units, costs);
  const UnitTiming timing = time_units(units, unit_costs, cluster.gpu.sm_count, cluster.nccl_sms != 0, &pipelines_);

  FastScore out;
  const double T = timing.iteration_s;
  out.iteration_time_s = T;
  out.extrapolated = timing.extrapolated;
  // Recomputation re-executes each unit's recompute pass once per micro-batch on every rank of a stage.
  double recompute_flops = 0;
  for (const auto& u : unit_costs.units) {
    if (!u.recomputes) continue;
    if (u.recompute_pieces.empty()) recompute_flops += u.recompute.flops;
    for (const auto& piece : u.recompute_pieces) recompute_flops += piece.compute.flops;
  }
  out.recompute_flops = recompute_flops * units.micro_batches * s.tp * s.cp * s.dp;
  const IterationRates r = iteration_rates(model, s, cluster.gpu, T, out.recompute_flops, base_.workload.train_tokens);
  out.tokens_per_s = r.tokens_per_s;
  out.model_tflops_per_gpu = r.model_tflops_per_gpu;
  out.hardware_tflops_per_gpu = r.hardware_tflops_per_gpu;
  out.mfu = r.mfu;
  out.hfu = r.hfu;
  out.time_to_train_s = r.time_to_train_s;
  out.breakdown = busiest_breakdown(timing.stages, T);
  out.pipeline_bubble_s = out.breakdown.pipeline_bubble;
  out.dp_exposed_s = out.breakdown.dp_comm_exposed;
  out.optimizer_s = out.breakdown.optimizer;
  out.activity = mean_activity(timing.stages, T);
  std::vector<double> params;
  params.reserve(units.tails.size());
  for (const auto& t : units.tails) params.push_back(t.params);
  out.memory = memory_report(base_, model, s, params, false);
  return out;
}

Metrics StrategyScorer::metrics(const Strategy& s) const {
  const FastScore f = score(s);
  Metrics m = iteration_metrics(base_, base_.workload.model, s, f.iteration_time_s, f.recompute_flops);
  m.engine = "fast";
  m.breakdown = f.breakdown;
  m.memory = f.memory;
  m.memory.why = memory_peak_why(f.memory, s);
  if (f.iteration_time_s > 0) m.energy_cost = energy_cost_report(base_, s, f.activity, m);
  return m;
}

}  // namespace trainsim
