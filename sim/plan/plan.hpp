#pragma once
// The Plan: the one contract between prediction and real execution. Every backend (analytic,
// SimGrid, hardware) consumes a Plan and produces a Trace.
//
// A Plan holds one program per pipeline stage: every rank of a stage (its TP, CP and DP peers)
// runs the same sequence of ops, differing only in which concrete ranks its groups and peers
// are. `instantiate(rank)` resolves that; engines that exploit the symmetry (analytic) never
// need to. Ops carry dependencies (indices of earlier ops in the same program) and a stream
// tag, and compute ops point at a Block: the kernel sequence of one model-chunk pass.
#include <cstdint>
#include <string>
#include <vector>

#include "models/compute/kernel.hpp"
#include "models/workload/transformer.hpp"
#include "sim/plan/strategy.hpp"

namespace trainsim {

enum class OpKind { Compute, Collective, Send, Recv };
/// Streams become trace threads; each runs its ops in order.
enum class Stream { Compute, TpComm, PpComm, DpComm, ParamComm };
enum class Phase { Forward, Backward, Recompute, GradSync, ParamSync, Optimizer };

constexpr int kNumStreams = 5;

/// The part of the model a stretch of a block's kernels computes.
enum class ModelPart { Embedding, Layer, Head };

/// One part of the model in one pass: the kernels of a block are the concatenation of its
/// segments' kernels (sim/plan/plan_units.hpp segment_kernels), and its cost the sum of its
/// segments' costs (sim/cost/op_costs.hpp), so that layers of one kind are costed once.
struct BlockSegment {
  ModelPart part = ModelPart::Layer;
  Phase pass = Phase::Forward;  ///< Forward, Backward or Recompute
  int layer = -1;               ///< ModelPart::Layer: the layer's index
  bool operator==(const BlockSegment&) const = default;
};

/// A compute op's kernels (one model-chunk pass, or the optimizer step).
struct Block {
  std::string name;
  Phase phase = Phase::Forward;
  int virtual_stage = -1;
  int first_layer = 0, layers = 0;  ///< transformer layers the block covers
  std::vector<Kernel> kernels;
  double params = 0;  ///< parameters of the covered layers on one rank (pre-ZeRO)
  /// Of those, the ones training updates (gradients, optimizer): all but a LoRA model's frozen base.
  double trainable_params = 0;
  /// What the kernels compute, in order; empty for blocks costed kernel by kernel (the optimizer
  /// step, the module pieces of DeepSpeed 0.3.x).
  std::vector<BlockSegment> segments;
  double flops() const;
};

struct Op {
  OpKind kind = OpKind::Compute;
  Stream stream = Stream::Compute;
  Phase phase = Phase::Forward;
  int micro_batch = -1;
  int chunk = -1;  ///< virtual pipeline chunk on this stage
  int block = -1;  ///< Compute: index into Plan::blocks
  // Collective.
  CollectiveKind collective = CollectiveKind::AllReduce;
  GroupRole group = GroupRole::None;
  double bytes = 0;  ///< Collective: per-rank buffer; Send/Recv: message size
  // Send / Recv: the peer is the rank with the same TP/CP/DP coordinates on `peer_stage`.
  int peer_stage = -1;
  std::int64_t tag = -1;  ///< matches a Send with its Recv
  std::vector<int> deps;  ///< earlier ops of the same program that must finish first
};

struct StageProgram {
  int stage = 0;
  std::vector<Op> ops;
};

/// A rank's coordinates. Rank order follows Megatron-LM: tp fastest, then cp, then dp, then pp,
/// so a tensor-parallel group sits inside a node whenever tp <= GPUs per node.
struct RankCoord {
  int tp = 0, cp = 0, dp = 0, pp = 0;
};

/// An op resolved for one concrete rank (what the hardware backend and SimGrid actors execute).
struct RankOp {
  const Op* op = nullptr;
  int peer = -1;             ///< Send/Recv: concrete peer rank
  std::vector<int> members;  ///< Collective: concrete ranks of the group, in ring order
};

/// Where the ranks of a strategy sit: coordinates, nodes and the members of each group. Every
/// group of a role has the same shape under this regular order.
struct RankLayout {
  Strategy strategy;
  int gpus_per_node = 8;

  int world() const { return strategy.world(); }
  RankCoord coord(int rank) const;
  int rank_of(const RankCoord& c) const;
  int node_of(int rank) const { return rank / gpus_per_node; }
  /// Concrete ranks of `rank`'s group of the given role, ordered by coordinate.
  std::vector<int> group_members(int rank, GroupRole role) const;
  int group_size(GroupRole role) const;
  /// Rank 0's group of a role is the ranks 0, d, 2d, ... (group_size of them): d.
  long long group_stride(GroupRole role) const;
  /// Ranks per node and nodes spanned by a group of this role (same for every group of the role).
  void group_shape(GroupRole role, int& ranks_per_node, int& nodes) const;
};

struct Plan : RankLayout {
  TransformerConfig model;
  std::vector<Block> blocks;
  std::vector<StageProgram> programs;  ///< one per pipeline stage
  /// Layers of each virtual stage (index vs = chunk * pp + stage): [first, first + count).
  std::vector<std::pair<int, int>> virtual_stage_layers;
  double params_per_stage_rank_max = 0;  ///< largest parameter count any rank holds (pre-ZeRO)
  std::vector<double> params_per_rank_by_stage;

  /// The program of `rank` with peers and groups resolved.
  std::vector<RankOp> instantiate(int rank) const;
};

const char* to_string(OpKind k);
const char* to_string(Stream s);
const char* to_string(Phase p);

}  // namespace trainsim
