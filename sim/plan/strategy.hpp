#pragma once
// Strategy: how a workload is spread over a cluster. Knob names follow Megatron-LM's arguments
// (--tensor-model-parallel-size, --pipeline-model-parallel-size, --context-parallel-size,
// --expert-model-parallel-size, --num-layers-per-virtual-pipeline-stage, --sequence-parallel,
// --recompute-granularity, --use-distributed-optimizer, --overlap-grad-reduce ...).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "models/collective/collective_model.hpp"
#include "models/collective/zero_runtime.hpp"
#include "models/gpu/precision.hpp"
#include "models/util/json_reader.hpp"
#include "models/workload/layer_kernels.hpp"

namespace trainsim {

enum class ScheduleKind { GPipe, OneFOneB, Interleaved1F1B };

struct Strategy {
  int tp = 1, pp = 1, dp = 1, cp = 1, ep = 1;
  /// Expert tensor parallel size (MoE parallel folding, Megatron-Core >= 0.10; Liu et al. 2025,
  /// arXiv:2504.14960): expert layers split the same tp x cp x dp ranks of a stage as etp x ep x edp,
  /// so EP may span TP and CP ranks. 0 (not given): tp, Megatron-Core's default
  /// (--expert-tensor-parallel-size defaults to --tensor-model-parallel-size).
  int etp = 0;
  int expert_tp() const { return etp > 0 ? etp : tp; }
  /// Expert data-parallel size: the ranks of a stage over expert_tp() x ep.
  int edp() const { return tp * cp * dp / (expert_tp() * ep); }
  int vp = 1;  ///< virtual pipeline stages (model chunks) per rank
  bool sequence_parallel = false;
  int zero = 0;  ///< 0 none, 1 distributed optimizer, 2 + gradients, 3 + parameters (FSDP)
  /// Hybrid sharding: ZeRO/FSDP state is sharded over groups of this many consecutive DP x CP
  /// ranks and replicated across groups (PyTorch FSDP HYBRID_SHARD, Zhao et al. VLDB 2023 Sec. 3.3;
  /// MiCS, Zhang et al. VLDB 2022). Gradients: reduce-scatter in the group, then all-reduce of the
  /// shard across groups. 0 = shard over the whole DP x CP group.
  int shard_group = 0;
  Recompute recompute = Recompute::None;
  /// With selective recomputation: which modules (Megatron-Core --recompute-modules; the model's
  /// default when not stated, RecomputeModules).
  RecomputeModules recompute_modules;
  ScheduleKind schedule = ScheduleKind::OneFOneB;
  std::int64_t micro_batch = 1;
  std::int64_t global_batch = 0;  ///< sequences per iteration (from the workload unless overridden)
  Precision precision = Precision::BF16;
  AttentionImpl attention = AttentionImpl::Flash;
  /// Megatron --overlap-grad-reduce / PyTorch DDP: the gradients of a model chunk are reduced in
  /// buckets as its last backward produces them, on their own stream (Megatron default off).
  bool overlap_grad_reduce = false;
  /// Megatron --overlap-param-gather (distributed optimizer, ZeRO-1/2): the updated weights are
  /// all-gathered bucket by bucket while the next iteration's forward runs, each bucket just before
  /// its layers' first forward, instead of after the optimizer step (Megatron default off).
  /// ZeRO-3 / FSDP always prefetch one unit ahead; the knob does not change them.
  bool overlap_param_gather = false;
  /// Gradient (and parameter-gather) bucket size in parameters; 0: Megatron-Core's default
  /// max(40M, 1M x data-parallel size) (megatron/core/distributed/distributed_data_parallel.py).
  double bucket_params = 0;
  bool optimizer_offload = false;
  bool scatter_gather_p2p = true;  ///< split pipeline sends over TP ranks (Narayanan et al. SC'21 Sec. 4.1)
  /// Megatron/Transformer Engine --tp-comm-overlap (TE userbuffers): with sequence parallelism,
  /// each layer all-gather is overlapped with the product that consumes it and each
  /// reduce-scatter with the product that feeds it (Wang et al., "Overlap Communication with
  /// Dependent Computation via Decomposition", ASPLOS 2023), each by its tp_overlap entry's
  /// method and SM budget (sim/cost/inline_overlap.hpp exposed_inline_comm).
  bool tp_comm_overlap = false;
  /// With tp_comm_overlap, how each layer product's collective is overlapped and on how many SMs
  /// (`tp_overlap_cfg`, a NeMo ub_cfg file's entries; absent entries: Transformer Engine's
  /// defaults, models/workload/tp_overlap.hpp).
  TpOverlapConfig tp_overlap = te_default_tp_overlap();
  /// Context parallelism's K/V exchange: false, the ring (Liu et al. 2023; Megatron-Core
  /// --cp-comm-type p2p): cp - 1 block transfers overlapped with the attention blocks; true, one
  /// all-gather of K and V before attention and a reduce-scatter of their gradients after it, not
  /// overlapped (Llama 3, arXiv:2407.21783 Sec. 3.3.2). JSON "cp_comm": "ring" | "all-gather".
  bool cp_all_gather = false;
  /// MoE token dispatcher (JSON "moe_dispatcher": "alltoall" | "allgather" | "deepep" |
  /// "hybridep"; models/workload/layer_kernels.hpp MoeDispatcher). Default all-to-all, what the
  /// Megatron-Core MoE README and the Megatron-Bridge recipes of dense-expert models run.
  MoeDispatcher moe_dispatcher = MoeDispatcher::AllToAll;
  bool overlap_p2p_comm = false;  ///< Megatron --overlap-p2p-comm; off: sends block the compute stream
  /// Precision of the gradient buffer and of its data-parallel reduction. Unset: fp16 runs keep
  /// fp16 gradients; bf16 and fp8 runs accumulate and reduce in fp32, as Megatron-LM forces for
  /// bf16 (--accumulate-allreduce-grads-in-fp32). bf16: Megatron-LM --grad-reduce-in-bf16, NeMo
  /// optim.grad_sync_dtype: bf16, PyTorch FSDP MixedPrecision(reduce_dtype=bfloat16) — half the
  /// gradient memory and data-parallel gradient bytes.
  std::optional<Precision> grad_reduce_dtype;
  /// ZeRO-3 / FSDP parameter precision: what is stored, all-gathered and held while a unit runs.
  /// Unset: the run's half precision (FSDP MixedPrecision(param_dtype=bf16), Composer "PURE",
  /// DeepSpeed, Megatron). fp32: full-precision parameters gathered in fp32 and cast per product
  /// under torch.autocast (Composer mixed_precision "DEFAULT" in 2023: param_dtype None): twice the
  /// gather bytes plus the casts of LayerShard::fp32_weights_autocast.
  std::optional<Precision> fsdp_param_dtype;
  /// Runtime of the ZeRO-3 collectives (models/collective/zero_runtime.hpp). fsdp: one flat
  /// gather per unit, prefetched, gradients reduce-scattered, at NCCL rates. deepspeed-0.3:
  /// DeepSpeed 0.3.x stage 3 (2021): per-parameter gathers at its measured rate, again for the
  /// recomputation (its forward hooks fetch and release), gradients all-reduced
  /// (contiguous_gradients false) at its measured rate, all on one process group's stream.
  ZeroRuntime zero_runtime = ZeroRuntime::Fsdp;
  bool dropout = true;
  bool gradient_accumulation_fusion = true;  ///< Megatron --gradient-accumulation-fusion (2022+)
  /// Bias add and its gradient fused into neighbouring kernels (false: Megatron-LM 2021, PyTorch <= 1.9).
  bool fused_bias = true;
  /// Element-wise work in fused kernels (Megatron / Transformer Engine, or torch.compile); false:
  /// eager PyTorch (torchtitan without compile): LayerShard::fused_elementwise.
  bool fused_elementwise = true;
  CollectiveAlgorithm tp_algorithm = CollectiveAlgorithm::Auto;
  CollectiveAlgorithm dp_algorithm = CollectiveAlgorithm::Auto;

  std::int64_t micro_batches() const { return global_batch / (micro_batch * dp); }
  int world() const { return tp * pp * dp * cp; }
  /// Ranks one ZeRO/FSDP shard is spread over, and how many replicas of each shard exist.
  int zero_shard() const { return shard_group > 0 ? shard_group : dp * cp; }
  int zero_replicas() const { return dp * cp / std::max(1, zero_shard()); }
  bool hybrid_sharding() const { return zero >= 1 && zero_shard() < dp * cp; }
  /// Parameters per gradient / parameter-gather bucket.
  double bucket_size() const { return bucket_params > 0 ? bucket_params : std::max(40e6, 1e6 * dp * cp); }
  /// DeepSpeed 0.3.x stage 3 over more than one rank (Strategy::zero_runtime).
  bool deepspeed03_zero3() const { return zero >= 3 && dp * cp > 1 && zero_runtime == ZeroRuntime::DeepSpeed03; }
  /// Bucketed data-parallel synchronisation at layer granularity (not ZeRO-3, which syncs per unit).
  bool bucketed_dp_sync() const {
    return dp * cp > 1 && zero < 3 && (overlap_grad_reduce || (zero >= 1 && overlap_param_gather));
  }
};

const char* to_string(ScheduleKind s);

/// A `tp_overlap_cfg` object: ub_cfg entries by product name ("proj_fprop": {"method": "pipeline",
/// "num_sm": 24, "set_sm_margin": 1, "num_splits": 4}, ...); absent ones keep TE's defaults.
TpOverlapConfig parse_tp_overlap_cfg(const JsonReader& r);
/// Reads a strategy object. `dp` may be omitted (derived from the GPU count by the scenario).
/// Precision and attention may be set here; the workload's global batch fills global_batch.
Strategy parse_strategy(const JsonReader& r);

}  // namespace trainsim
