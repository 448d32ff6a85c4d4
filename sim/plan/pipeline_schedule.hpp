#pragma once
// PipelineSchedule: the order in which one pipeline stage runs forward and backward passes of
// micro-batches. GPipe (Huang et al. 2019), 1F1B (PipeDream-Flush, Narayanan et al. 2021a) and
// interleaved 1F1B with virtual stages (Narayanan et al. SC'21, Sec. 2.2.2), in the order
// Megatron-LM's schedules issue them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/plan/strategy.hpp"

namespace trainsim {

/// What keeps a pipeline of `pp` stages with `vp` model chunks each (vp > 1: the interleaved 1F1B
/// schedule) from running `micro_batches` micro-batches of a model of `layers` layers: the strategy
/// field at fault, what it needs and what it is. The one statement of the rule, for the strategy
/// checks, the search space, the validation's vp search and explain's hints:
///  - at least one layer per chunk (pp x vp <= layers; the planner spreads a remainder over the
///    first chunks, sim/plan/planner.cpp); `even`: pp x vp dividing the layers, as Megatron-LM
///    (2021-2024) requires of --num-layers-per-virtual-pipeline-stage;
///  - interleaving: a pipeline (pp > 1) and micro-batches in whole groups of pp (Megatron-LM's
///    interleaved schedule runs them pp at a time, Narayanan et al. SC'21 Sec. 2.2.2).
struct PipelineObstacle {
  std::string field, expected, got;
};
std::optional<PipelineObstacle> pipeline_obstacle(int layers, int pp, int vp, std::int64_t micro_batches,
                                                  bool even = false);
inline bool pipeline_fits(int layers, int pp, int vp, std::int64_t micro_batches, bool even = false) {
  return !pipeline_obstacle(layers, pp, vp, micro_batches, even);
}

struct ScheduleStep {
  bool forward = true;
  int micro_batch = 0;
  int chunk = 0;  ///< virtual model chunk on this stage (0 .. vp-1)
};

/// The steps of one stage, by index, without building them: a warm-up of forwards, then one
/// forward and one backward in turn (the steady state), then the remaining backwards (cool-down).
/// GPipe runs every forward, then every backward.
class StageSchedule {
 public:
  /// `stage` (0-based) of `stages`, `micro_batches` per iteration, `chunks` model chunks per stage.
  /// Interleaving needs micro_batches to be a multiple of stages (InputError otherwise).
  StageSchedule(ScheduleKind kind, int stage, int stages, int micro_batches, int chunks);
  int size() const { return 2 * m_ * v_; }
  int warmup() const { return warmup_; }  ///< forwards before the first backward
  ScheduleStep operator[](int i) const;
  /// The k-th forward (backward) the stage runs: micro-batches in groups of `stages` per chunk.
  ScheduleStep forward(int k) const;
  ScheduleStep backward(int k) const;

  /// The steps in order, one at a time, without divisions (the closed-form scorer walks millions).
  class Cursor {
   public:
    explicit Cursor(const StageSchedule& s)
        : i_(0),
          n_(s.size()),
          w_(s.warmup_),
          steady_end_(s.warmup_ + 2 * (s.m_ * s.v_ - s.warmup_)),
          p_(s.v_ == 1 ? 1 : s.p_),
          v_(s.v_) {}
    bool done() const { return i_ >= n_; }
    int index() const { return i_; }
    bool forward() const { return i_ < w_ || (i_ < steady_end_ && (i_ - w_) % 2 == 0); }
    ScheduleStep step() const {
      return forward() ? ScheduleStep{true, f_.group * p_ + f_.pos, f_.chunk}
                       : ScheduleStep{false, b_.group * p_ + b_.pos, v_ - 1 - b_.chunk};
    }
    void next() {
      (forward() ? f_ : b_).next(p_, v_);
      ++i_;
    }

   private:
    /// Position of the next forward (backward): its place in its group of `stages`, its chunk, its group.
    struct Counter {
      int pos = 0, chunk = 0, group = 0;
      void next(int p, int v) {
        if (++pos == p) pos = 0, ++chunk;
        if (chunk == v) chunk = 0, ++group;
      }
    };
    int i_, n_, w_, steady_end_, p_, v_;
    Counter f_, b_;
  };

 private:
  int m_ = 1, p_ = 1, v_ = 1, warmup_ = 0;
  bool gpipe_ = false;
};

/// The steps of `stage` (0-based) of `stages`, with `micro_batches` per iteration and `chunks`
/// model chunks per stage (StageSchedule, as a list).
std::vector<ScheduleStep> pipeline_schedule(ScheduleKind kind, int stage, int stages, int micro_batches, int chunks);

/// Ideal bubble fraction of the iteration: (p-1)/(v*m) relative to the ideal time (SC'21 eq. 1-2).
double bubble_fraction(int stages, int micro_batches, int chunks);

/// Micro-batches whose activations the first stage holds at its peak (Korthikanti et al. 2022,
/// Sec. 4.2.3: p for 1F1B, p*(1 + (p-1)/(p*v)) for interleaving, m for GPipe).
double in_flight_micro_batches(ScheduleKind kind, int stage, int stages, int micro_batches, int chunks);

}  // namespace trainsim
