#pragma once
// Replay of a whole training run's timeline in SimGrid's simulated time, with failures
// (docs/simgrid-engine.md#failure-injection): compute segments of k iterations each ending with a
// blocking checkpoint write, failures at given times, each one losing the work since the last
// completed checkpoint and paying a restart (overhead + restore of that checkpoint), until the
// run's iterations are done. This is the renewal model behind Daly (2006), FGCS 22(3), eq. (20):
// a failure during a checkpoint write loses the whole segment, a failure during a restart starts
// the restart again. One SimGrid actor per run and one sleep per segment or restart (never one per
// iteration), so even a 10^5-iteration run with a checkpoint every iteration takes under a second.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/reliability/failure_injection.hpp"

namespace trainsim {

struct TrainingRunSpec {
  std::int64_t iterations = 0;        ///< to complete (>= 1)
  double iteration_s = 0;             ///< one iteration, as simulated (> 0)
  std::int64_t checkpoint_every = 0;  ///< iterations per segment, k (>= 1); the last one may be shorter
  double checkpoint_s = 0;            ///< blocking write at the end of every segment (>= 0)
  double restore_s = 0;               ///< read the last checkpoint back after a failure (>= 0)
  double restart_overhead_s = 0;      ///< detect, reschedule, re-initialise (>= 0)
  std::size_t keep_failures = 10;     ///< how many failure records to keep (the counts cover all)
};

/// One failure as the replay saw it.
struct FailureRecord {
  FailureEvent event;
  std::string phase;                  ///< "compute", "checkpoint" (the write was cut) or "restart"
  double lost_s = 0;                  ///< work lost (compute and partial write); restart time cut for "restart"
  std::int64_t resume_iteration = 0;  ///< iterations saved by the last completed checkpoint
};

struct TrainingRunResult {
  double wall_clock_s = 0;  ///< SimGrid's clock when the last checkpoint completed
  double useful_s = 0;      ///< iterations x iteration_s (work that survived)
  double checkpoint_s = 0;  ///< completed checkpoint writes
  double lost_work_s = 0;   ///< segments (compute + partial write) cut by a failure
  double restart_s = 0;     ///< restarts, the ones cut by another failure included
  std::int64_t iterations = 0;
  std::int64_t checkpoints = 0;  ///< completed writes: ceil(iterations / k)
  std::int64_t failures = 0;
  std::int64_t failures_during_restart = 0;
  std::int64_t by_kind[3] = {0, 0, 0};        ///< indexed by FailureKind (Gpu, Node, Link)
  std::int64_t sleeps = 0;                    ///< SimGrid activities used
  std::vector<FailureRecord> first_failures;  ///< the first spec.keep_failures
};

/// The next failure of a run, in increasing time (+infinity: no more failures).
using FailureSource = std::function<FailureEvent()>;

/// Replays one run per source, all in one SimGrid Engine created in *this* process (one Engine per
/// process: call it in a child, as replay_training_runs does). Throws InputError when a run needs
/// more than 10^7 failures or segments (rates far too high for the checkpoint interval).
std::vector<TrainingRunResult> replay_training_runs_here(const TrainingRunSpec& spec,
                                                         const std::vector<FailureSource>& sources);
/// The same in a forked child (any number of times per process).
std::vector<TrainingRunResult> replay_training_runs(const TrainingRunSpec& spec,
                                                    const std::vector<FailureSource>& sources);
/// One run of `spec` with the seeded failures of FailureStream(rates, gpus, nodes, links, seed).
TrainingRunResult replay_training_run(const TrainingRunSpec& spec, const FailureRates& rates, int gpus, int nodes,
                                      int links, std::uint64_t seed);

}  // namespace trainsim
