#pragma once
// The list-schedule timing of a Plan: every stage program replayed once (all ranks of a stage are
// symmetric), compute ops in order on the compute stream, each side stream in order, a receive
// complete when its matching send is, the tied-embedding all-reduce when both of its stages are
// ready; op durations from OpCosts. This is the analytic engine's schedule (sim/analytic), and the
// first pass of the SM contention that both engines charge (sim/cost/sm_contention.hpp).
#include <functional>
#include <vector>

#include "sim/cost/op_costs.hpp"

namespace trainsim {

/// Start and end time of every op of every stage program (plan.programs[p].ops[i]).
struct OpSchedule {
  std::vector<std::vector<double>> start, end;
  double makespan() const;
};

/// Called for every op once it is timed: stage, op index, start, end.
using OpTimed = std::function<void(int, int, double, double)>;

/// Times `plan`. Compute op i of stage p lasts its block's time plus `delay[p][i]` when `delay` is
/// given. Throws InternalError when the plan deadlocks (a receive without a matching send).
OpSchedule time_plan(const Plan& plan, const OpCosts& costs, const std::vector<std::vector<double>>* delay = nullptr,
                     const OpTimed& on_timed = nullptr);

}  // namespace trainsim
