#pragma once
// The kernels one tensor-parallel rank runs for one transformer layer on one micro-batch:
// forward, backward and recomputation, with the inline tensor-/context-/expert-parallel
// collectives, following Megatron-LM (Shoeybi et al. 2019; Korthikanti et al. 2022 for sequence
// parallelism and selective recomputation; Liu et al. 2023 ring attention for context parallelism).
#include <vector>

#include "models/compute/kernel.hpp"
#include "models/workload/tp_overlap.hpp"
#include "models/workload/transformer.hpp"

namespace trainsim {

/// Flash: FlashAttention-2 class fused kernels; FlashV1: FlashAttention v1 class (FlashAttention
/// 1.x, the 2023 Triton kernel); Unfused: separate products, mask, softmax and dropout kernels.
enum class AttentionImpl { Flash, FlashV1, Unfused };
enum class Recompute { None, Selective, Full };
/// How an MoE layer moves its tokens to the experts and back (Megatron-Core
/// moe_token_dispatcher_type, megatron/core/transformer/moe/token_dispatcher.py):
///  - AllToAll: permute by expert, all-to-all of every routed copy over EP, sort the received
///    chunks by local expert, and back (MoEAlltoAllTokenDispatcher);
///  - AllGather: all-gather every token over EP, each rank permutes what its experts take, and a
///    reduce-scatter back (MoEAllGatherTokenDispatcher; Megatron-Core's default dispatcher);
///  - DeepEP / HybridEP: the flex dispatcher's fused kernels (deepseek-ai/DeepEP, its hybrid-ep
///    branch), which send a token once per destination rank, not once per expert, and permute
///    after receiving (MoEFlexTokenDispatcher).
enum class MoeDispatcher { AllToAll, AllGather, DeepEP, HybridEP };
const char* to_string(MoeDispatcher d);

/// What a selective recomputation rebuilds in the backward pass instead of keeping (Megatron-Core
/// --recompute-granularity selective with --recompute-modules, megatron/core/transformer/
/// transformer_config.py; default ["core_attn"]; Korthikanti et al. 2022, Sec. 5):
///  - core_attn: the attention core (QK^T, softmax, attention over V; the flash forward again);
///  - layernorm: the norms whose outputs are not kept by a fused norm-and-product module (the
///    pre-MLP norm of an MoE layer, and the input norm of multi-head latent attention);
///  - moe_act: the routed experts' activation function (their product outputs not kept);
///  - mla_up_proj: multi-head latent attention's up projections from the latents (DeepSeek-V3
///    report, arXiv:2412.19437, Sec. 3.2.3).
/// Without a stated list, a model's selective default: mla_up_proj for latent attention (the
/// DeepSeek recipes'), core_attn otherwise.
struct RecomputeModules {
  bool stated = false;
  bool core_attn = false, layernorm = false, moe_act = false, mla_up_proj = false;
  bool operator==(const RecomputeModules&) const = default;
};

/// The modules a selective recomputation of a layer of `c` rebuilds: `m` when stated, else the
/// model's default.
RecomputeModules selective_modules(const TransformerConfig& c, const RecomputeModules& m);

/// How one layer is split over a rank.
struct LayerShard {
  std::int64_t micro_batch = 1;
  int tp = 1;
  bool sequence_parallel = false;
  int cp = 1;
  int ep = 1;
  int etp = 0;  ///< expert tensor parallel size (0: tp); experts split their width over it
  Precision precision = Precision::BF16;
  AttentionImpl attention = AttentionImpl::Flash;
  bool dropout = true;                       ///< GPT-style dropout after attention and MLP (Megatron default 0.1)
  bool gradient_accumulation_fusion = true;  ///< wgrad products accumulate into fp32 main grads in place
  /// Bias add and bias gradient fused into the products' epilogues or the neighbouring
  /// element-wise kernels (Transformer Engine, cuBLASLt epilogues). false: Megatron-LM 2021 on
  /// PyTorch <= 1.9, where the QKV product's bias is a separate add and every bias gradient a
  /// separate reduction over the tokens.
  bool fused_bias = true;
  /// Full-precision (fp32) weights under torch.autocast, as PyTorch FSDP runs with
  /// MixedPrecision(param_dtype=None) (MosaicML Composer's mixed_precision "DEFAULT", 2023): every
  /// use of a weight in a forward (and its recomputation) casts it to the run's half precision
  /// (read 4 B, write 2 B per element; autocast caches the cast only within one forward), and the
  /// backward casts each weight gradient back to fp32 (2 + 4 B), then FSDP casts it to its
  /// reduce dtype for the reduce-scatter (4 + 2 B). PyTorch autocast docs; Zhao et al. VLDB 2023 Sec. 4.4.
  bool fp32_weights_autocast = false;
  /// Element-wise work fused (Megatron / Transformer Engine kernels, or torch.compile). false: eager
  /// PyTorch, where a Llama-style layer's RMSNorm, rotary embedding and SwiGLU run as chains of
  /// separate element-wise ops (torchtitan without compile; eager_elementwise in layer_kernels.cpp).
  bool fused_elementwise = true;
  /// How Transformer Engine overlaps each layer collective with its product when the strategy
  /// turns the overlap on (tags on the collectives; costed only with Strategy::tp_comm_overlap).
  TpOverlapConfig tp_overlap = te_default_tp_overlap();
  /// Strategy::recompute_modules (used with Recompute::Selective).
  RecomputeModules recompute_modules;
  MoeDispatcher dispatcher = MoeDispatcher::AllToAll;
  /// Frozen base weights (the model's LoRA fine-tuning, TransformerConfig::lora; set by the kernel
  /// builders from the model): the base products' backward is their data gradient only.
  bool frozen_weights = false;
  bool operator==(const LayerShard&) const = default;
};

/// Kernels in launch order. `layer` selects dense or MoE MLP.
std::vector<Kernel> layer_forward(const TransformerConfig& c, const LayerShard& s, int layer);
std::vector<Kernel> layer_backward(const TransformerConfig& c, const LayerShard& s, int layer);
/// What recomputation re-runs before the backward of one layer (empty for Recompute::None).
std::vector<Kernel> layer_recompute(const TransformerConfig& c, const LayerShard& s, int layer, Recompute r);

/// Word (+ position) embedding lookup on the first pipeline stage.
std::vector<Kernel> embedding_forward(const TransformerConfig& c, const LayerShard& s);
std::vector<Kernel> embedding_backward(const TransformerConfig& c, const LayerShard& s);
/// Final norm, vocabulary-parallel logits and cross-entropy on the last stage.
std::vector<Kernel> head_forward(const TransformerConfig& c, const LayerShard& s);
std::vector<Kernel> head_backward(const TransformerConfig& c, const LayerShard& s);

const char* to_string(Recompute r);
const char* to_string(AttentionImpl a);

}  // namespace trainsim
