#include "models/memory/memory_model.hpp"

#include <algorithm>

namespace trainsim {

double layer_activation_bytes(const TransformerConfig& c, const LayerShard& s, Recompute r) {
  const double sb = static_cast<double>(c.seq_len) / s.cp * static_cast<double>(s.micro_batch);
  const double h = static_cast<double>(c.hidden);
  const double eb = activation_bytes(s.precision);
  const double t = s.tp;
  const double mask = s.dropout ? 1.0 : 0.0;  // dropout masks are 1 byte per element
  if (r == Recompute::Full) {
    // Only each layer's input is kept (2sbh), split over TP with sequence parallelism.
    return eb * sb * h / (s.sequence_parallel ? t : 1.0);
  }
  // Tensors outside the tensor-parallel region (replicated across TP unless SP): both norm inputs,
  // the QKV and first-MLP inputs, and the two dropout masks. Korthikanti: 10 sbh for GPT in fp16.
  // Inputs of the products, kept for their weight gradients: with fp8, Transformer Engine keeps the
  // FP8 copies it cast for the forward products (1 byte; TE Linear/LayerNormLinear save the cast
  // input for the wgrad product) instead of bf16 ones. Attention (Q, K, V) stays in bf16.
  const double gb = s.precision == Precision::FP8 ? 1.0 : eb;
  const RecomputeModules rm =
      r == Recompute::Selective ? selective_modules(c, s.recompute_modules) : RecomputeModules{};
  const double norms_in = 2.0 * eb * sb * h;  // two norm inputs (4 sbh)
  // QKV and MLP-up inputs (4 sbh): the two norm outputs. A layernorm recomputation drops those
  // not kept by a fused norm-and-product module: an MoE layer's pre-MLP norm output, latent
  // attention's input norm output (RecomputeModules::layernorm).
  const double norm_outputs_recomputed = rm.layernorm ? (c.moe ? 1.0 : 0.0) + (c.mla ? 1.0 : 0.0) : 0.0;
  const double linear_in = (2.0 - norm_outputs_recomputed) * gb * sb * h;
  const double masks = 2.0 * mask * sb * h;          // attention and MLP dropout masks (2sbh)
  double out_region = norms_in + linear_in + masks;  // = 10 sbh for GPT in fp16
  // Inside the TP region (split over t): Q, K, V, attention-projection input, MLP activations.
  const double inner = c.moe ? static_cast<double>(c.moe->expert_ffn) *
                                   (c.moe->top_k * c.moe->busiest_rank_load() + c.moe->shared_experts)
                             : static_cast<double>(c.ffn);
  const double mlp_act = c.activation == Activation::SwiGLU ? (2.0 * eb + gb) * sb * inner  // gate, up, product
                                                            : (eb + gb) * sb * inner;       // gelu input, down input
  const double q = static_cast<double>(c.q_dim());  // = h unless head_dim (or MLA) says otherwise
  const double o = static_cast<double>(c.attn_out_width());
  // Q, K, V, projection input, MLP: 24 sbh for GPT. kv_width = 2 kv for (GQA) MHA.
  double in_region = eb * sb * (q + static_cast<double>(c.kv_width())) + gb * sb * o + mlp_act;
  // moe_act: the routed experts' activation outputs (the down products' inputs) are rebuilt.
  if (rm.moe_act && c.moe)
    in_region -= gb * sb * static_cast<double>(c.moe->expert_ffn) * c.moe->top_k * c.moe->busiest_rank_load();
  if (c.mla) {
    // MLA's latents, inputs of the up projections, kept on every TP rank (down products duplicated).
    out_region += gb * sb * static_cast<double>(c.mla->q_lora_rank + c.mla->kv_lora_rank);
    // Recomputing the up projections rebuilds Q, K and V from the latents (layer_recompute).
    if (rm.mla_up_proj) in_region -= eb * sb * (q + static_cast<double>(c.kv_width()));
  }
  // Attention scores: softmax output (2), dropout mask (1), dropout output (2) per element: 5as^2b.
  const double scores_elems = static_cast<double>(c.heads) * sb * static_cast<double>(c.seq_len);
  double scores = 0;
  if (s.attention == AttentionImpl::Unfused && !rm.core_attn && r != Recompute::Full)
    scores = (eb + mask + (s.dropout ? eb : 0.0)) * scores_elems;
  if (s.sequence_parallel) out_region /= t;
  // MoE: the routed experts' first product reads the dispatched token copies -- top_k per token,
  // times the busiest rank's load -- and keeps them for its weight gradient (the autograd of
  // Megatron-Core's grouped expert MLP, TEGroupedMLP: one input row per routed copy). The norm
  // output the router and the shared experts read is the MLP-up input counted above. With
  // tensor parallelism the experts see every token of the TP group (an all-gather before them)
  // unless MoE parallel folding gives them their own TP of 1 with sequence parallelism.
  double expert_in = 0;
  if (c.moe) {
    expert_in = gb * sb * h * c.moe->top_k * c.moe->busiest_rank_load();
    if (s.etp == 1 && s.sequence_parallel) expert_in /= t;
  }
  return out_region + expert_in + (in_region + scores) / t;
}

MemoryBreakdown memory_per_gpu(const TransformerConfig& c, const MemoryInputs& in) {
  MemoryBreakdown m;
  const double shard_w = in.zero >= 3 ? in.dp : 1.0;
  const double shard_g = in.zero >= 2 ? in.dp : 1.0;
  const double shard_o = in.zero >= 1 ? in.dp : 1.0;
  m.weights = in.params * in.weight_bytes / shard_w;
  const double trained = in.trainable < 0 ? in.params : in.trainable;
  const double expert = std::min(in.expert_params, trained), dense = trained - expert;
  const double edp = std::max(1, in.expert_dp);
  m.gradients = dense * in.grad_bytes / shard_g + expert * in.grad_bytes / (in.zero >= 2 ? edp : 1.0);
  m.optimizer =
      in.optimizer_offload ? 0.0 : (dense / shard_o + expert / (in.zero >= 1 ? edp : 1.0)) * in.optimizer_bytes;
  const double per_layer = layer_activation_bytes(c, in.shard, in.recompute);
  m.activations = per_layer * in.layers * in.in_flight;
  if (in.recompute == Recompute::Full) {
    // During the backward of one layer its full activations are rebuilt (working set).
    m.activations += layer_activation_bytes(c, in.shard, Recompute::None);
  }
  const double eb = activation_bytes(in.shard.precision);
  const double tokens = static_cast<double>(c.seq_len) / in.shard.cp * static_cast<double>(in.shard.micro_batch);
  if (in.last_stage) {
    // fp32 logits and their gradient for the rank's vocabulary shard (Korthikanti Sec. 4.3).
    m.activations += 2.0 * 4.0 * tokens * static_cast<double>(c.vocab) / in.shard.tp;
  }
  if (in.first_stage) m.activations += eb * tokens * static_cast<double>(c.hidden) * in.in_flight;  // embedding output
  m.other = in.overhead_bytes;
  return m;
}

}  // namespace trainsim
