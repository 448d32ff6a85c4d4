#pragma once
// Stragglers: what slow GPUs (ClusterSpec::slow_gpus) do to an iteration. Synchronous training
// runs at the pace of its slowest member at every synchronisation point:
//  - tensor- and context-parallel groups meet in every layer (their inline collectives), so a rank
//    computes at the clock of the slowest GPU of its TP x CP group;
//  - the stages of one pipeline replica (a data-parallel index) hand micro-batches to each other,
//    so a replica runs the pipeline schedule with each stage at its own group's clock;
//  - the replicas meet in the gradient reduction at the end of the iteration, so the iteration
//    lasts as long as the slowest replica's pipeline. With expert parallelism or ZeRO-3 / FSDP the
//    replicas also meet in every layer (all-to-all, parameter gathers): each stage then runs at
//    its slowest replica's clock.
// Both engines apply this rule: the analytic engine times every distinct replica, the SimGrid
// engine slows each simulated rank's compute by its group's clock. The slowdown is charged to the
// compute kernels (a lower clock, thermal throttling); the collectives keep their speed.
#include <vector>

#include "sim/plan/plan.hpp"
#include "topologies/cluster_spec.hpp"

namespace trainsim {

/// Clock (fraction of normal speed) of each rank's tensor x context-parallel group: the lowest
/// clock among its GPUs. Empty when no GPU of the job is slow.
std::vector<double> rank_group_clocks(const RankLayout& layout, const ClusterSpec& cluster);

/// One pipeline replica's clock per stage, and the data-parallel index it is (or -1 for a
/// merged set of coupled replicas).
struct ReplicaClocks {
  int dp = 0;
  std::vector<double> stage_clock;
};

/// The distinct replicas to time: every replica holding a slow group, plus one at full speed
/// when some replica has none; merged into one per stage when the replicas meet in every layer
/// (expert parallelism, ZeRO-3, FSDP). Empty when no GPU of the job is slow.
std::vector<ReplicaClocks> replica_clocks(const RankLayout& layout, const ClusterSpec& cluster);

/// Job rank placed on GPU `gpu` (ClusterSpec::gpu_of_rank's inverse), or -1 for an idle GPU or one
/// outside the job.
int rank_on_gpu(const ClusterSpec& cluster, int world, int gpu);

}  // namespace trainsim
