#pragma once
// The timeline of one rank as the metrics read it, whoever produced it: an engine's Trace (through
// the Plan's blocks), a measured run, or the closed-form scorer's replay of the plan units. The
// breakdown of the busiest stage and the per-GPU activity (the energy model's input) are computed
// from it by one set of formulas:
//  - breakdown: forward, backward, recomputation and optimizer time (compute ops minus their inline
//    collectives), the inline collectives (TP/CP/EP, on the critical path), the data-parallel
//    communication not covered by any compute op, and the bubble: the rest of the iteration;
//  - activity: each compute op's kernel time split into compute-bound (GEMM, attention) and
//    memory-bound by its block's share, inline collectives and communication not covered by GPU
//    compute counted as communicating, the rest idle; host-side blocks (optimizer offload) are not
//    GPU compute: a host-link copy counts as communication, CPU Adam as idle.
#include <vector>

#include "models/compute/compute_model.hpp"
#include "models/power/energy_model.hpp"
#include "sim/metrics/metrics.hpp"

namespace trainsim {

/// Where a compute op's kernels run (optimizer offload puts whole blocks on the host side).
enum class HostSide { None, Copy, Cpu };

struct RankTimeline {
  struct Compute {
    double start = 0, end = 0;
    double inner_comm = 0;           ///< seconds of inline collectives inside the op
    double compute_bound_share = 1;  ///< of its kernel time, in GEMM and attention kernels
    Phase phase = Phase::Forward;
    HostSide host = HostSide::None;
  };
  struct Comm {
    double start = 0, end = 0;
    Stream stream = Stream::PpComm;  ///< DpComm, ParamComm: a collective beside the compute
  };
  int stage = 0;
  /// Every compute op, and the sends and collectives (receives are not communication: their span
  /// is waiting). Each stream's ops in the order they start, as a stream runs them (an unordered
  /// list is sorted first).
  std::vector<Compute> compute;
  std::vector<Comm> comm;
};

/// What the formulas need of one rank, summed over its iteration. Sums of sums: a closed form may
/// extrapolate them (they grow linearly with the micro-batches once the pipeline is full).
struct RankSums {
  int stage = 0;
  TimeBreakdown breakdown;  ///< without pipeline_bubble (it needs the iteration time)
  double compute_bound = 0, memory_bound = 0, inline_comm = 0, comm_exposed = 0;  ///< activity
  RankSums& operator+=(const RankSums& o);
  RankSums operator*(double k) const;
};

RankSums sum_timeline(const RankTimeline& t);

/// What one compute op adds to its rank's sums (sum_timeline applies it to every compute op; a
/// closed form may apply it to an op standing for many). Host-side ops add only to the breakdown.
void add_compute_op(RankSums& r, const RankTimeline::Compute& c);

/// The breakdown of the rank with the most work (compute, inline collectives, optimizer), its
/// bubble the rest of `iteration_s` after that work and its exposed data-parallel communication.
TimeBreakdown busiest_breakdown(const std::vector<RankSums>& ranks, double iteration_s);

/// Mean activity per GPU over the ranks (every stage holds as many GPUs), each rank's parts scaled
/// down if they overrun the iteration (rounding), the rest idle.
ActivityBreakdown mean_activity(const std::vector<RankSums>& ranks, double iteration_s);

/// The timelines of the traced ranks of an engine's (or a measured) iteration.
std::vector<RankTimeline> timelines_from_trace(const Plan& plan, const Trace& trace, const ComputeModel& cm);

}  // namespace trainsim
