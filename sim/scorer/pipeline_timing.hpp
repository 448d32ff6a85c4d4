#pragma once
// The pipeline schedule's timing with each step's steady cost (sim/scorer/step_costs.hpp): when
// each stage ends its last op, starts its first backward and its last backward of each chunk.
//
// With the steps one op each, the engines' event rules reduce to a recurrence over the steps of
// each stage's schedule: a step starts once its stage's compute stream is free and its pipeline
// transfer has arrived; a send blocks the compute stream or runs on its own stream. `time_pipeline`
// runs that recurrence (every stage's steps, in the order their inputs arrive). Its cost grows
// with stages x micro-batches, so `time_pipeline_steady` runs it at a micro-batch count just past
// the pipeline's warm-up and extends the times linearly: once the pipeline is full each further
// micro-batch adds the schedule's cycle time, which is at least what the busiest stream of any stage
// does per micro-batch and at least the cycle measured in the run: the time between a stage's
// backward steps one cycle apart at the end of its steady phase (GPipe, which has no steady phase:
// the growth between two counts).
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/plan/strategy.hpp"

namespace trainsim {

struct PipelineInput {
  ScheduleKind schedule = ScheduleKind::OneFOneB;
  int stages = 1, chunks = 1;
  bool blocking_sends = true;              ///< sends occupy the compute stream (their time is in fwd/bwd)
  std::vector<double> fwd, bwd;            ///< per virtual stage: a step's time on the compute stream
  std::vector<double> send_fwd, send_bwd;  ///< per virtual stage: its pipeline transfer
  /// Per virtual stage: its first forward (backward) step's time, when it differs from the others'
  /// (a cold start). Empty: fwd (bwd).
  std::vector<double> first_fwd, first_bwd;
  /// Per virtual stage: its last backward step's time, when it differs (gradient buckets reduced
  /// beside it). Empty: bwd.
  std::vector<double> last_bwd;
  /// Gradient reductions a backward step issues on the data-parallel stream, one after another
  /// behind what earlier steps left there: their work, when the first may start (from the step's
  /// start), what they run after the step when the stream is free, their SMs, and whether the steps
  /// they run beside lose those SMs here (`charge`; sim/cost/sm_contention.hpp) or already in their
  /// own time.
  struct Reductions {
    double work = 0, first = 0, leftover = 0;
    int sms = 0;
    bool charge = false;
  };
  std::vector<Reductions> bwd_reductions;       ///< every backward step's, by virtual stage (ZeRO-3)
  std::vector<Reductions> last_bwd_reductions;  ///< a chunk's last backward's (gradient buckets)
  int sm_count = 0;
  /// Per virtual stage: a step's time when it starts after its stage idled long enough for the side
  /// streams to catch up (StepCost::rested_seconds). Empty: fwd (bwd).
  std::vector<double> rested_fwd, rested_bwd;
  /// The first forward step of a chunk when it waits for gathers queued at the iteration start
  /// (weight buckets): its time on the compute stream when it starts at `t`. Empty: fwd.
  std::function<double(int vs, double t)> first_forward;
};

struct PipelineTimes {
  double makespan = 0;
  std::vector<double> end;             ///< per stage: end of its last op (its last send included)
  std::vector<double> first_backward;  ///< per stage: start of its first backward step
  std::vector<double> dp_end;          ///< per stage: end of the reductions its last backwards left (last_bwd_leftover)
  std::vector<double> last_backward;   ///< [stage * chunks + chunk]: start of the chunk's last backward
  int chunks = 1;
  double last_backward_of(int stage, int chunk) const { return last_backward[stage * chunks + chunk]; }
  /// time_pipeline's `probe` > 0: the longest time over a stage's last `probe` backward steps of its
  /// steady phase (those before its last forward), over the stages; 0 when none has as many.
  double steady_span = 0;
  bool extended = false;  ///< timed at fewer micro-batches and extended linearly
};

/// The schedule at `micro_batches` micro-batches, step by step (`probe`: see steady_span).
PipelineTimes time_pipeline(const PipelineInput& in, int micro_batches, int probe = 0);

/// The same, timed at fewer micro-batches and extended linearly when that is cheaper.
PipelineTimes time_pipeline_steady(const PipelineInput& in, int micro_batches);

/// time_pipeline_steady's results by input: strategies of a search that differ only in what the
/// pipeline does not see (the ZeRO stage of unoverlapped synchronisation, the data-parallel size at
/// the same micro-batch count...) share one timing. Not for use from several threads at once.
class PipelineMemo {
 public:
  /// time_pipeline_steady(in, micro_batches), computed once per distinct input (inputs with a
  /// first_forward function are not kept).
  const PipelineTimes& time(const PipelineInput& in, int micro_batches);

 private:
  std::unordered_map<std::string, PipelineTimes> times_;
  PipelineTimes last_;
  std::string key_;
};

}  // namespace trainsim
