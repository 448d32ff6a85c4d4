#pragma once
// AnalyticEngine: evaluates a Plan in closed form. Each stage program is replayed once (all
// ranks of a stage are symmetric): compute ops serialise on the compute stream, sends on the
// pipeline stream, receives complete when their matching send does, collectives start when
// every member stage is ready. This yields the pipeline schedule's critical path exactly, with
// op durations from OpCosts. Fast enough for sweeps (no per-rank state).
#include <memory>
#include <vector>

#include "sim/analytic/op_costs.hpp"
#include "sim/trace/trace.hpp"

namespace trainsim {

/// Extra seconds of every compute op from the collectives that overlap it in the analytic
/// schedule of `plan` (sim/analytic/sm_contention.hpp); the SimGrid engine runs its compute
/// ops that much longer too. All zeros when cluster.nccl_sms is 0.
std::vector<std::vector<double>> analytic_sm_contention_delays(const Plan& plan, const OpCosts& costs,
                                                               const ClusterSpec& cluster);

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
