#pragma once
// What one pipeline step (a virtual stage's forward or backward pass of one micro-batch) costs on
// its stage in the steady state of the schedule: its time on the compute stream, its pipeline
// transfer, the work it issues on the side streams and what it adds to the stage's metrics.
//
// Where the units of a step run back to back (no ZeRO-3 gather between them) the step is one op
// of their summed cost. With ZeRO-3 (and DeepSpeed 0.3.x's module pieces) each unit waits for its
// gather, prefetched one unit ahead on the parameter stream, and its gradients are reduced on the
// data-parallel stream behind it; the step's steady cost is found by running the stage's steps back
// to back with these streams (prefetch overlap, gather-bound waits, reduction backlog, the SM
// contention of the collectives beside the compute), a chain of identical layers skipped through
// once each layer adds the same time to every stream.
#include <vector>

#include "sim/metrics/timeline.hpp"
#include "sim/scorer/unit_costs.hpp"

namespace trainsim {

struct StepCost {
  /// Time on the compute stream: the compute ops with their gather waits and contention, and the
  /// pipeline send when sends block the compute stream (Megatron without --overlap-p2p-comm).
  double seconds = 0;
  double send = 0;  ///< the step's pipeline transfer (0: none)
  /// Its time when it starts after the side streams have caught up (the stage waited for the
  /// pipeline): its gathers prefetched, no reduction backlog. A step that starts g seconds after its
  /// stage's previous one takes rested + max(0, seconds - rested - g).
  double rested_seconds = 0;
  double compute_s = 0;    ///< of `seconds`, compute ops (contention included)
  double dp_work = 0;      ///< gradient synchronisation the step issues (data-parallel stream)
  double dp_leftover = 0;  ///< its reductions still running when it ends (steady state)
  int dp_sms = 0;          ///< SMs those reductions hold
  double dp_first = 0;     ///< when its first reduction may start, from its start
};

/// Steady-state costs of every virtual stage's forward and backward step.
struct StepCosts {
  std::vector<StepCost> forward, backward;  ///< by virtual stage
  /// The first forward and backward of each virtual stage, run cold (nothing prefetched before
  /// them, no backlog); the steady ones are `forward` and `backward`. Empty: the same.
  std::vector<StepCost> first_forward, first_backward;
  /// gradient_tail: each virtual stage's last backward when its gradient buckets are reduced as they
  /// close (PlanUnits::grads_in_buckets): the reductions' SMs slow the rest of its compute, and
  /// `dp_leftover` is what they still run after it. Empty: `backward`.
  std::vector<StepCost> last_backward;
  /// What each virtual stage's backward reduces on the data-parallel stream (ZeRO-3): its work,
  /// when the first reduction may start from the step's start and what runs after it, with the
  /// stream free at its start; their SMs.
  struct Reductions {
    double work = 0, first = 0, leftover = 0;
    int sms = 0;
  };
  std::vector<Reductions> reductions;
  /// What one micro-batch's steps (every chunk's forward and backward) add to each stage's metrics
  /// (sim/metrics/timeline.hpp), by stage.
  std::vector<RankSums> per_micro_batch;
};

/// `sm_count`: the GPU's SMs when collectives beside the compute take SMs from it (0: no contention).
StepCosts step_costs(const PlanUnits& units, const UnitScheduleCosts& costs, int sm_count);

}  // namespace trainsim
