#pragma once
// Memory per GPU: model state (Rajbhandari et al., "ZeRO", SC'20, Sec. 3 and 5: 2+2+12 bytes per
// parameter for mixed-precision Adam, sharded by stage) and activations (Korthikanti et al.,
// "Reducing Activation Recomputation in Large Transformer Models", MLSys 2023, Sec. 4: Table 2).
#include <cstdint>

#include "models/gpu/precision.hpp"
#include "models/workload/layer_kernels.hpp"
#include "models/workload/transformer.hpp"

namespace trainsim {

/// Everything the memory model needs about one pipeline stage of one rank.
struct MemoryInputs {
  // Model state.
  double params = 0;  ///< parameters this rank holds before ZeRO sharding
  /// Of those, the ones with gradients and optimizer state (< 0: all; a LoRA model's adapters).
  double trainable = -1;
  int dp = 1;  ///< data-parallel degree ZeRO shards over
  /// Of the trainable parameters, the routed experts' and the ranks their gradients and optimizer
  /// state shard over at ZeRO 1-2 (Megatron-Core: the expert data-parallel group; PlanUnits::expert_groups).
  double expert_params = 0;
  int expert_dp = 1;
  int zero = 0;                 ///< ZeRO stage 0..3 (1 = Megatron distributed optimizer)
  double weight_bytes = 2;      ///< per parameter (fp16/bf16 weights)
  double grad_bytes = 2;        ///< per parameter (4 when gradients accumulate in fp32)
  double optimizer_bytes = 12;  ///< per parameter: fp32 master copy + Adam m and v (ZeRO's K = 12)
  bool optimizer_offload = false;
  // Activations.
  LayerShard shard;
  Recompute recompute = Recompute::None;
  int layers = 1;        ///< transformer layers on this rank (all virtual chunks)
  double in_flight = 1;  ///< micro-batches whose activations a stage holds at peak
  bool first_stage = true, last_stage = true;
  double overhead_bytes = 2e9;  ///< CUDA context, NCCL and cuBLAS buffers, allocator slack
};

struct MemoryBreakdown {
  double weights = 0, gradients = 0, optimizer = 0, activations = 0, other = 0;
  double total() const { return weights + gradients + optimizer + activations + other; }
};

/// Activation bytes one layer stores for one micro-batch (Korthikanti et al. 2022, generalised to
/// grouped-query attention and SwiGLU by counting the same tensors).
double layer_activation_bytes(const TransformerConfig& c, const LayerShard& s, Recompute r);

MemoryBreakdown memory_per_gpu(const TransformerConfig& c, const MemoryInputs& in);

}  // namespace trainsim
