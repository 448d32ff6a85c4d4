#pragma once
// The overlaps of a block's inline collectives (tensor-, context- and expert-parallel) with the
// products around them: Transformer Engine's userbuffers overlap, the asynchronous sequence-parallel
// re-gather, the context-parallel K/V ring. What each collective leaves on the critical path.
#include <vector>

#include "models/compute/kernel.hpp"

namespace trainsim {

/// What the overlaps of a block's inline collectives depend on.
struct InlineOverlap {
  bool tp_comm_overlap = false;  ///< Strategy::tp_comm_overlap (Transformer Engine userbuffers)
  int cp = 1;
  bool cp_all_gather = false;  ///< Strategy::cp_all_gather: the K/V exchange is not overlapped
  double nccl_sm_share = 0;    ///< SMs of an inline TP collective's NCCL kernel over the GPU's
  /// The GPU's SMs: with it, each userbuffers overlap pays its Kernel::ub SM budget (a pipelined
  /// reduce-scatter confines its product to the other SMs; a bulk overlap shares them); without
  /// it (0), every overlapped collective costs max(0, t_comm - t_product).
  int sm_count = 0;
  bool operator==(const InlineOverlap&) const = default;
};

/// Seconds each inline collective of a block leaves on the critical path, given every kernel's
/// time (`t[i]`: compute time, or the collective's time); compute kernels get 0. Without overlap
/// that is a collective's whole time. With `tp_comm_overlap`, a layer's TP all-gather is
/// overlapped with the next product and a TP reduce-scatter with the previous one, by the method
/// and SM budget of its Kernel::ub (without a GPU SM count: max(0, t_comm - t_product)). A
/// collective marked Kernel::async_before_product otherwise hides behind the next product, which
/// runs slower by `nccl_sm_share` while they overlap. The K/V ring of context parallelism
/// (`cp` > 1) always overlaps the attention it feeds: of its cp-1 steps, each is hidden behind
/// one block of the attention (1/cp of it), so (cp-1) x max(0, t_comm/(cp-1) - t_attention/cp)
/// stays exposed (Liu et al., "Ring Attention with Blockwise Transformers", 2023; Megatron-Core
/// context parallelism).
std::vector<double> exposed_inline_comm(const std::vector<Kernel>& ks, const std::vector<double>& t,
                                        const InlineOverlap& o);

}  // namespace trainsim
