#pragma once
// AnalyticEngine: evaluates a Plan in closed form. Each stage program is replayed once (all ranks of
// a stage are symmetric) by the list schedule of sim/cost/plan_timing.hpp, which yields the
// pipeline schedule's critical path exactly, with op durations from OpCosts; collectives beside the
// compute stream take their SMs from it (sim/cost/sm_contention.hpp). Fast enough for sweeps (no
// per-rank state).
#include <memory>
#include <vector>

#include "sim/cost/op_costs.hpp"
#include "sim/trace/trace.hpp"

namespace trainsim {

class AnalyticEngine {
 public:
  AnalyticEngine(const ClusterSpec& cluster, std::shared_ptr<const ComputeProfile> profile = nullptr);
  void add_observer(ExecutionObserver* o) { observers_.push_back(o); }
  /// Runs one iteration; the trace holds one representative rank per stage (tp = cp = dp = 0).
  Trace execute(const Plan& plan) const;

 private:
  ClusterSpec cluster_;
  ComputeModel compute_;
  std::vector<ExecutionObserver*> observers_;
};

}  // namespace trainsim
