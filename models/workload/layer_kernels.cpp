#include "models/workload/layer_kernels.hpp"

#include <cmath>

#include <algorithm>
#include <optional>

namespace trainsim {

const char* to_string(Recompute r) {
  switch (r) {
    case Recompute::None: return "none";
    case Recompute::Selective: return "selective";
    case Recompute::Full: return "full";
  }
  return "?";
}
const char* to_string(MoeDispatcher d) {
  switch (d) {
    case MoeDispatcher::AllToAll: return "alltoall";
    case MoeDispatcher::AllGather: return "allgather";
    case MoeDispatcher::DeepEP: return "deepep";
    case MoeDispatcher::HybridEP: return "hybridep";
  }
  return "?";
}
const char* to_string(AttentionImpl a) {
  switch (a) {
    case AttentionImpl::Flash: return "flash";
    case AttentionImpl::FlashV1: return "flash-v1";
    case AttentionImpl::Unfused: return "unfused";
  }
  return "?";
}

namespace {

struct Dims {
  double T;                                       ///< tokens this rank holds in the tensor-parallel region: b * s / cp
  double Tsp;                                     ///< tokens per rank outside it (T / tp with sequence parallelism)
  double h, q, kv, kv2, o, f, s_kv, heads_local;  ///< q: query / attention-output width (heads x head_dim)
  double eb;                                      ///< bytes per activation element
  std::int64_t Ti, hi, tpi;
};

/// Attention math runs in bf16 in fp8 recipes (Transformer Engine keeps dot-product attention
/// in bf16 unless fp8 attention is enabled explicitly).
Precision attention_precision(Precision p) { return p == Precision::FP8 ? Precision::BF16 : p; }

/// The output layer (logits) stays in bf16 in fp8 runs: Megatron-Core's GPTModel builds it as its
/// own tensor_parallel.ColumnParallelLinear (megatron/core/models/gpt/gpt_model.py, 2023-2024),
/// not as a Transformer Engine module, and fp8_autocast quantises only TE modules.
LayerShard output_layer_shard(const LayerShard& s) {
  LayerShard o = s;
  o.precision = attention_precision(s.precision);
  return o;
}

Dims dims(const TransformerConfig& c, const LayerShard& s) {
  Dims d;
  d.Ti = s.micro_batch * c.seq_len / s.cp;
  d.T = static_cast<double>(d.Ti);
  d.Tsp = s.sequence_parallel ? d.T / s.tp : d.T;
  d.h = static_cast<double>(c.hidden);
  d.hi = c.hidden;
  d.tpi = s.tp;
  d.q = static_cast<double>(c.q_dim());
  d.kv = static_cast<double>(c.kv_dim());
  d.kv2 = static_cast<double>(c.kv_width());  // K and V together (MLA: heads x (qk + v))
  d.o = static_cast<double>(c.attn_out_width());
  d.f = static_cast<double>(c.ffn);
  d.s_kv = static_cast<double>(c.seq_len);  // keys seen per query across the ring (context parallel)
  d.heads_local = static_cast<double>(c.heads) / s.tp;
  d.eb = activation_bytes(s.precision);
  return d;
}

double act_bytes(const Dims& d, double elems) { return elems * d.eb; }

/// Collective on entry to a tensor-parallel region: all-gather with SP, nothing without (the
/// backward of Megatron's f operator is the all-reduce emitted by the matching exit).
void tp_enter(std::vector<Kernel>& v, const TransformerConfig&, const LayerShard& s, const Dims& d, const char* name,
              std::optional<UbSite> site = std::nullopt) {
  if (s.tp > 1 && s.sequence_parallel) {
    v.push_back(collective_kernel(name, CollectiveKind::AllGather, GroupRole::TP, act_bytes(d, d.T * d.h)));
    if (site) v.back().ub = s.tp_overlap.at(*site);
  }
}
/// With sequence parallelism a column-parallel product keeps only its rank's shard of the input
/// for the weight gradient and gathers it again in the backward, overlapped with the data-gradient
/// product (Megatron-Core LinearWithGradAccumulationAndAsyncCommunication.backward and Transformer
/// Engine's Linear/LayerNormLinear backward: all-gather issued async, dgrad, wait, then wgrad).
void tp_regather_input(std::vector<Kernel>& v, const LayerShard& s, const Dims& d, const char* name, UbSite site) {
  if (s.tp <= 1 || !s.sequence_parallel) return;
  Kernel k = collective_kernel(name, CollectiveKind::AllGather, GroupRole::TP, act_bytes(d, d.T * d.h));
  k.async_before_product = true;
  k.ub = s.tp_overlap.at(site);
  v.push_back(k);
}
/// Collective on exit: all-reduce (reduce-scatter with SP) of the row-parallel product's output.
void tp_exit(std::vector<Kernel>& v, const TransformerConfig&, const LayerShard& s, const Dims& d, const char* name,
             std::optional<UbSite> site = std::nullopt) {
  if (s.tp > 1) {
    v.push_back(collective_kernel(name, s.sequence_parallel ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce,
                                  GroupRole::TP, act_bytes(d, d.T * d.h)));
    if (site && s.sequence_parallel) v.back().ub = s.tp_overlap.at(*site);
  }
}

Kernel norm(const char* name, const Dims& d, Precision p) {
  // Read x, write y (+ stats): 2 passes over the rank's tokens.
  return memory_kernel(name, 2.0 * act_bytes(d, d.Tsp * d.h), p);
}
Kernel dropout_residual(const char* name, const Dims& d, Precision p, bool dropout) {
  // Read branch and residual, write sum (+ 1-byte mask written when dropout is on).
  return memory_kernel(name, 3.0 * act_bytes(d, d.Tsp * d.h) + (dropout ? d.Tsp * d.h : 0.0), p);
}

/// Separate bias kernels when they are not fused (LayerShard::fused_bias false, GPT biases).
/// Forward: PyTorch <= 1.9 runs F.linear on a 3-D input as matmul followed by an in-place bias
/// add (at::linear), so the QKV product's bias costs a read and a write of its output; the other
/// biases are already folded into Megatron's fused bias-GeLU and bias-dropout-add kernels.
void bias_add(std::vector<Kernel>& v, const TransformerConfig& c, const LayerShard& s, const Dims& d, const char* name,
              double width) {
  if (!s.fused_bias && c.bias) v.push_back(memory_kernel(name, 2.0 * act_bytes(d, d.T * width), s.precision));
}
/// Backward: each bias gradient is a separate reduction over the tokens that reads the output
/// gradient once (autograd sum of the broadcast bias; Transformer Engine instead fuses it into
/// the weight-gradient product's epilogue). `tokens` is d.T inside the TP region, d.Tsp outside.
void bias_grad(std::vector<Kernel>& v, const TransformerConfig& c, const LayerShard& s, const Dims& d, const char* name,
               double tokens, double width) {
  if (!s.fused_bias && c.bias) v.push_back(memory_kernel(name, act_bytes(d, tokens * width), s.precision));
}

/// Attention core forward: fused flash kernel, or Megatron's unfused path (two batched products
/// around a fused scale-mask-softmax and dropout on the s x s scores).
void attention_core(std::vector<Kernel>& v, const TransformerConfig& c, const LayerShard& s, const Dims& d,
                    bool backward) {
  const std::int64_t b_heads = s.micro_batch * c.heads / s.tp;
  const std::int64_t sq = c.seq_len / s.cp, hd = c.qk_head_dim(), hv = c.v_head_dim();
  const std::int64_t skv = c.seq_len;  // with ring attention every query meets all keys in cp steps
  if (s.cp > 1) {
    // Ring attention (Liu et al. 2023; Megatron context parallelism): K and V blocks travel
    // around the CP ring, cp-1 steps, overlapped with the block computations.
    const double kv_block = act_bytes(d, d.T * d.kv2 / s.tp);
    v.push_back(collective_kernel(backward ? "cp_ring_kv_grad" : "cp_ring_kv", CollectiveKind::AllGather, GroupRole::CP,
                                  kv_block * s.cp * (backward ? 2.0 : 1.0)));
  }
  if (s.attention != AttentionImpl::Unfused) {
    Kernel a;
    a.name = backward ? "flash_attention_bwd" : "flash_attention_fwd";
    a.kind = KernelKind::Attention;
    a.generation = s.attention == AttentionImpl::FlashV1 ? FusedAttention::Flash1 : FusedAttention::Flash2;
    a.backward = backward;
    a.m = sq;
    a.n = skv;
    a.k = hd;
    a.batch = b_heads;
    a.causal = true;
    a.precision = attention_precision(s.precision);
    // Forward: QK^T and PV, 2 s_q s_kv (d_qk + d_v) per head (4 s_q s_kv d when both are d);
    // backward recomputes QK^T and runs 4 products more (Dao 2023, FlashAttention-2, Sec. 3): 2.5x.
    const double fwd = 2.0 * static_cast<double>(sq) * static_cast<double>(skv) * static_cast<double>(hd + hv) *
                       static_cast<double>(b_heads);
    a.flops = backward ? 2.5 * fwd : fwd;
    // Q, K, V read and the output written (their gradients too in the backward): 4 T q for MHA as
    // before; MLA's per-head widths differ.
    a.bytes = c.mla ? act_bytes(d, (backward ? 2.0 : 1.0) * d.T * (d.q + d.kv2 + d.o) / s.tp)
                    : act_bytes(d, (backward ? 8.0 : 4.0) * d.T * d.q / s.tp);
    v.push_back(a);
    return;
  }
  const double scores = static_cast<double>(b_heads) * static_cast<double>(sq) * static_cast<double>(skv);
  if (!backward) {
    v.push_back(gemm_kernel("attn_scores_qk", sq, skv, hd, b_heads, attention_precision(s.precision), d.eb));
    // Fused scale-mask-softmax: read and write the scores; dropout: read scores, write probs + mask.
    v.push_back(memory_kernel("attn_softmax", 2.0 * scores * d.eb, s.precision));
    if (s.dropout) v.push_back(memory_kernel("attn_dropout", 2.0 * scores * d.eb + scores, s.precision));
    v.push_back(gemm_kernel("attn_context_pv", sq, hv, skv, b_heads, attention_precision(s.precision), d.eb));
    // The context comes out as [b*heads, s, d] and is put back in [s, b, h] order by
    // permute(...).contiguous() (Megatron-LM CoreAttention, unfused path): read and write.
    v.push_back(memory_kernel("attn_context_copy", 2.0 * act_bytes(d, d.T * d.o / s.tp), s.precision));
  } else {
    const Precision ap = attention_precision(s.precision);
    v.push_back(memory_kernel("attn_context_copy_bwd", 2.0 * act_bytes(d, d.T * d.o / s.tp), s.precision));
    v.push_back(gemm_kernel("attn_context_dgrad_p", sq, skv, hv, b_heads, ap, d.eb));
    v.push_back(gemm_kernel("attn_context_dgrad_v", skv, hv, sq, b_heads, ap, d.eb));
    if (s.dropout) v.push_back(memory_kernel("attn_dropout_bwd", 2.0 * scores * d.eb + scores, s.precision));
    v.push_back(memory_kernel("attn_softmax_bwd", 3.0 * scores * d.eb, s.precision));
    v.push_back(gemm_kernel("attn_scores_dgrad_q", sq, hd, skv, b_heads, ap, d.eb));
    v.push_back(gemm_kernel("attn_scores_dgrad_k", skv, hd, sq, b_heads, ap, d.eb));
    // Q, K and V are views of the QKV product's output (split along the last dimension); the
    // split's backward concatenates their three gradients into one tensor: read and write.
    v.push_back(memory_kernel("attn_qkv_grad_concat", 2.0 * act_bytes(d, d.T * (d.q + d.kv2) / s.tp), s.precision));
  }
}

/// Forward GEMM X(T x k) W(k x n) and its two backward products (data and weight gradients);
/// `batch` > 1: that many independent products of this shape, each with its own weight (a grouped
/// GEMM over an expert-parallel rank's local experts).
void linear(std::vector<Kernel>& v, const char* name, std::int64_t T, std::int64_t n, std::int64_t k,
            const LayerShard& s, double eb, bool backward, bool input_cast_fused = false, std::int64_t batch = 1) {
  const std::size_t opens = v.size();
  const double groups = static_cast<double>(batch);
  if (s.precision == Precision::FP8) {
    // Transformer Engine quantises each product's input to fp8 (read bf16, write fp8: 3 bytes per
    // element); the forward cast of a norm-fed product is fused into the norm (LayerNormLinear).
    const double elems = static_cast<double>(T) * static_cast<double>(backward ? n : k) * groups;
    if (backward || !input_cast_fused)
      v.push_back(
          memory_kernel(std::string(name) + (backward ? "_grad_fp8_cast" : "_fp8_cast"), 3.0 * elems, s.precision));
  }
  if (backward && !s.gradient_accumulation_fusion && !s.frozen_weights) {
    // Without fused accumulation the weight gradient is written, then added to the accumulated
    // gradient: read both, write one (Megatron-LM before --gradient-accumulation-fusion, 2022).
    v.push_back(memory_kernel(std::string(name) + "_grad_accumulate",
                              3.0 * eb * static_cast<double>(n) * static_cast<double>(k) * groups, s.precision));
  }
  if (!backward) {
    v.push_back(gemm_kernel(name, T, n, k, batch, s.precision, eb));
  } else {
    v.push_back(gemm_kernel(std::string(name) + "_dgrad", T, k, n, batch, s.precision, eb));
    if (s.frozen_weights) {
      v[opens].weights = static_cast<double>(n) * static_cast<double>(k) * groups;
      return;  // no weight gradient of a frozen product
    }
    v.push_back(gemm_kernel(std::string(name) + "_wgrad", k, n, T, batch, s.precision, eb));
  }
  v[opens].weights = static_cast<double>(n) * static_cast<double>(k) * groups;
}

/// The LoRA adapter beside a frozen product X(T x k) W(k x n) (TransformerConfig::lora; NeMo
/// ParallelLinearAdapter): dropout on X when the adapter has one (read X, write it and a byte
/// mask), X A (k x rank), then (X A) B (rank x n) added to the product's output (read both, write
/// one); the backward runs both products' data and weight gradients in reverse and adds the
/// adapter's input gradient to X's. In the run's half precision (TE keeps adapters out of fp8).
/// The tensor-parallel collectives of the rank-wide intermediate (T x rank) are not modelled.
void lora_adapter(std::vector<Kernel>& v, const TransformerConfig& c, const char* name, std::int64_t T, std::int64_t n,
                  std::int64_t k, const LayerShard& s, double eb, bool backward) {
  const std::int64_t r = c.lora->rank;
  const Precision p = s.precision == Precision::FP8 ? Precision::BF16 : s.precision;
  const std::string base = std::string("lora_") + name;
  const double x = static_cast<double>(T) * static_cast<double>(k), y = static_cast<double>(T) * static_cast<double>(n);
  if (!backward) {
    if (c.lora->dropout > 0) v.push_back(memory_kernel(base + "_dropout", (2.0 * eb + 1.0) * x, p));
    v.push_back(gemm_kernel(base + "_in", T, r, k, 1, p, eb));
    v.push_back(gemm_kernel(base + "_out", T, n, r, 1, p, eb));
    v.push_back(memory_kernel(base + "_add", 3.0 * eb * y, p));
    return;
  }
  v.push_back(gemm_kernel(base + "_out_dgrad", T, r, n, 1, p, eb));
  v.push_back(gemm_kernel(base + "_out_wgrad", r, n, T, 1, p, eb));
  v.push_back(gemm_kernel(base + "_in_dgrad", T, k, r, 1, p, eb));
  v.push_back(gemm_kernel(base + "_in_wgrad", k, r, T, 1, p, eb));
  if (c.lora->dropout > 0) v.push_back(memory_kernel(base + "_dropout_bwd", (2.0 * eb + 1.0) * x, p));
  v.push_back(memory_kernel(base + "_input_grad_add", 3.0 * eb * x, p));
}

/// Kernels of a product and, when the model's LoRA targets it, of its adapter.
void adapted_linear(std::vector<Kernel>& v, const TransformerConfig& c, bool targeted, const char* name, std::int64_t T,
                    std::int64_t n, std::int64_t k, const LayerShard& s, double eb, bool backward,
                    bool input_cast_fused = false) {
  const bool adapter = c.lora && targeted;
  if (adapter && backward) lora_adapter(v, c, name, T, n, k, s, eb, true);
  linear(v, name, T, n, k, s, eb, backward, input_cast_fused);
  if (adapter && !backward) lora_adapter(v, c, name, T, n, k, s, eb, false);
}

void mlp(std::vector<Kernel>& v, const TransformerConfig& c, const LayerShard& s, const Dims& d, int layer, bool bwd) {
  const bool moe = c.is_moe_layer(layer);
  const std::int64_t inner = moe ? c.moe->expert_ffn : c.ffn;
  const int up_mats = c.activation == Activation::SwiGLU ? 2 : 1;
  // Tokens each expert-parallel rank processes: every token goes to top_k experts; with EP the
  // experts are spread over ep ranks, so a rank computes (top_k * T) tokens' worth on average.
  // The busiest rank (load skew, or padding to capacity) sets the pace of the expert compute and of
  // the all-to-alls, which wait for it. Shared experts see every token once.
  // With MoE parallel folding (etp < tp) the expert layer keeps each rank's share of the tokens
  // (etp / tp of the TP region's) and splits each expert over etp ranks instead of tp.
  const int etp = moe && s.etp > 0 ? s.etp : s.tp;
  const std::int64_t Ti = moe ? d.Ti * etp / s.tp : d.Ti;
  std::int64_t T = Ti;
  const double load = moe ? c.moe->busiest_rank_load() : 1.0;
  const double routed_rows = moe ? static_cast<double>(Ti) * c.moe->top_k * load : 0.0;
  const double token_rows = static_cast<double>(Ti);
  // How the tokens reach the experts and come back (MoeDispatcher; NVIDIA/Megatron-LM d98e8a64
  // megatron/core/transformer/moe/token_dispatcher.py and moe_utils.py, Transformer Engine d0067d0d
  // common/triton/permutation.py for the fused permute kernels Megatron-Core runs with
  // moe_permute_fusion): a reorder of the rows before the exchange, the exchange over the EP group,
  // a reorder after it, then the same back in reverse. A reorder reads and writes each row once;
  // a permute first builds its int32 row map [rows, 2 x experts + 1] in three passes. Probabilities
  // are applied in the expert activation, not by a pass of their own; the backward runs the same
  // traffic the other way and its last reorder writes the probabilities' gradients [tokens, experts].
  //  - all-to-all: the permute reads each token once and writes its top_k copies grouped by
  //    destination; the all-to-all carries every routed copy's hidden vector (Lepikhin et al. 2020,
  //    GShard Sec. 3.2; Rajbhandari et al. 2022, DeepSpeed-MoE); with several local experts the
  //    received rows come grouped by source rank and are sorted into expert order
  //    (sort_chunks_by_idxs) before the experts and back after them;
  //  - all-gather: every token of the EP group is gathered to every rank, which permutes out what
  //    its experts take (the fused permute reads every gathered row) and reduce-scatters the
  //    results back (MoEAllGatherTokenDispatcher);
  //  - DeepEP / HybridEP (the flex dispatcher): a token goes once to each rank that holds one of
  //    its experts, ep (1 - (1 - 1/ep)^top_k) ranks under uniform routing (DeepEP issue #58,
  //    maintainer's reply: the receive buffer is token-major), and is permuted by expert after it
  //    arrives; the combine sends those rows back and sums them at the source.
  const bool exchange = moe && s.ep > 1;
  const double ep = std::max(1, s.ep), experts = moe ? c.moe->experts : 0.0;
  auto row_map = [&](double rows) { return 3.0 * rows * (2.0 * experts + 1.0) * 4.0; };
  struct Dispatch {
    double pre_rows = 0, pre_map = 0;    ///< reorder before the exchange (rows; row-map bytes)
    double post_rows = 0, post_map = 0;  ///< reorder after it
    CollectiveKind out = CollectiveKind::AllToAll, back = CollectiveKind::AllToAll;
    double bytes = 0;  ///< the exchange's message per rank and direction
    const char* out_name = "moe_dispatch_a2a";
    const char* back_name = "moe_combine_a2a";
    const char* post_name = "moe_sort_chunks";
    const char* post_back_name = "moe_unsort_chunks";
  } x;
  if (!exchange || s.dispatcher == MoeDispatcher::AllToAll) {
    x.pre_rows = token_rows + routed_rows;
    x.pre_map = row_map(token_rows);
    x.bytes = act_bytes(d, routed_rows * d.h);
    if (exchange && experts / ep > 1) x.post_rows = 2.0 * routed_rows;
  } else if (s.dispatcher == MoeDispatcher::AllGather) {
    const double gathered = token_rows * ep;
    x.post_rows = gathered + routed_rows;
    x.post_map = row_map(gathered);
    x.out = CollectiveKind::AllGather, x.back = CollectiveKind::ReduceScatter;
    x.bytes = act_bytes(d, gathered * d.h);
    x.out_name = "moe_dispatch_allgather", x.back_name = "moe_combine_reduce_scatter";
    x.post_name = "moe_permute_gathered", x.post_back_name = "moe_unpermute_gathered";
  } else {
    const double received = token_rows * ep * (1.0 - std::pow(1.0 - 1.0 / ep, c.moe->top_k)) * load;
    x.post_rows = received + routed_rows;
    x.post_map = row_map(received);
    x.bytes = act_bytes(d, received * d.h);
    x.post_name = "moe_permute_received", x.post_back_name = "moe_unpermute_received";
  }
  const double prob_grads = token_rows * experts * 4.0;
  auto reorder = [&](std::string name, double rows, double extra) {
    if (rows > 0) v.push_back(memory_kernel(std::move(name), act_bytes(d, rows * d.h) + extra, s.precision));
  };
  if (moe) {
    T = static_cast<std::int64_t>(static_cast<double>(Ti) * (c.moe->top_k * load + c.moe->shared_experts));
    v.push_back(memory_kernel(
        bwd ? "moe_router_bwd" : "moe_router",
        act_bytes(d, static_cast<double>(Ti) * d.h) + static_cast<double>(Ti) * c.moe->experts * 4.0, s.precision));
    // Backward, from the layer's output: the gradients retrace the return path first.
    if (!bwd) {
      reorder("moe_permute", x.pre_rows, x.pre_map);
      if (exchange) v.push_back(collective_kernel(x.out_name, x.out, GroupRole::EP, x.bytes));
      reorder(x.post_name, x.post_rows, x.post_map);
    } else {
      reorder("moe_unpermute_bwd", x.pre_rows, 0.0);
      if (exchange) v.push_back(collective_kernel(std::string(x.back_name) + "_bwd", x.out, GroupRole::EP, x.bytes));
      reorder(std::string(x.post_back_name) + "_bwd", x.post_rows, 0.0);
    }
  }
  const std::int64_t inner_local = inner / etp;
  // The products: a dense MLP is one product over the rank's tokens. An MoE layer's routed experts
  // are a grouped GEMM over the rank's experts / ep local experts, each with its own weights and
  // the tokens routed to it (Megatron-Core TEGroupedMLP / GroupedMLP): per expert the rank's routed
  // copies over its local experts, so a many-expert layer runs many short products that each read
  // a whole expert's weights (the GEMM model's shape and roofline terms price them). Shared experts
  // see every token: one product of their combined width.
  struct Product {
    const char* up;
    const char* down;
    std::int64_t tokens, width, groups;
  };
  std::vector<Product> products;
  if (!moe) {
    products.push_back({"mlp_up", "mlp_down", T, inner_local, 1});
  } else {
    const std::int64_t local = std::max(1, c.moe->experts / std::max(1, s.ep));
    products.push_back({"moe_expert_up", "moe_expert_down",
                        std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(routed_rows / local))),
                        inner_local, local});
    if (c.moe->shared_experts > 0)
      products.push_back({"moe_shared_up", "moe_shared_down", Ti, inner_local * c.moe->shared_experts, 1});
  }
  // LoRA on the MLP: dense layers only (adapters on routed experts are not modelled).
  const bool lora_mlp = c.lora && c.lora->mlp && !moe;
  auto up = [&](const Product& pr, bool backward) {
    if (!moe)
      adapted_linear(v, c, lora_mlp, pr.up, pr.tokens, pr.width * up_mats, c.hidden, s, d.eb, backward, !backward);
    else
      linear(v, pr.up, pr.tokens, pr.width * up_mats, c.hidden, s, d.eb, backward, false, pr.groups);
  };
  auto down = [&](const Product& pr, bool backward) {
    if (!moe)
      adapted_linear(v, c, lora_mlp, pr.down, pr.tokens, c.hidden, pr.width, s, d.eb, backward);
    else
      linear(v, pr.down, pr.tokens, c.hidden, pr.width, s, d.eb, backward, false, pr.groups);
  };
  if (!bwd) {
    for (const auto& pr : products) up(pr, false);
    v.push_back(memory_kernel(c.activation == Activation::SwiGLU ? "swiglu" : "gelu",
                              act_bytes(d, static_cast<double>(T) * inner_local * (up_mats + 1)), s.precision));
    for (const auto& pr : products) down(pr, false);
  } else {
    for (const auto& pr : products) down(pr, true);
    v.push_back(memory_kernel(c.activation == Activation::SwiGLU ? "swiglu_bwd" : "gelu_bwd",
                              act_bytes(d, static_cast<double>(T) * inner_local * (up_mats + 2)), s.precision));
    bias_grad(v, c, s, d, "mlp_up_bias_grad", static_cast<double>(T), static_cast<double>(inner_local * up_mats));
    if (!moe) tp_regather_input(v, s, d, "tp_allgather_mlp_input_bwd", UbSite::Fc1Dgrad);
    for (const auto& pr : products) up(pr, true);
  }
  if (moe && !bwd) {
    reorder(x.post_back_name, x.post_rows, 0.0);
    if (exchange) v.push_back(collective_kernel(x.back_name, x.back, GroupRole::EP, x.bytes));
    reorder("moe_unpermute", x.pre_rows, 0.0);
  } else if (moe) {
    reorder(std::string(x.post_name) + "_bwd", x.post_rows, x.pre_rows > 0 ? 0.0 : prob_grads);
    if (exchange) v.push_back(collective_kernel(std::string(x.out_name) + "_bwd", x.back, GroupRole::EP, x.bytes));
    reorder("moe_permute_bwd", x.pre_rows, prob_grads);
  }
}

/// Weight-matrix elements of one layer on one rank (attention and MLP products; norms excluded).
double layer_weight_elements(const TransformerConfig& c, const LayerShard& s, int layer) {
  return layer_matrix_params_per_rank(c, count_parameters(c), s.tp, s.ep, s.etp > 0 ? s.etp : s.tp, layer);
}

/// The extra memory traffic of a Llama-style layer (SwiGLU MLP, with RMSNorm and rotary embedding)
/// run in eager PyTorch instead of fused kernels, counted op by op from torchtitan's
/// models/llama/model.py (2024), in activation-size units (eb bytes per element):
///  - RMSNorm, x2 per layer: x.float() (read 1, write 2), pow (2, 2), mean (2), x * rsqrt (2, 2),
///    type_as (2, 1), * weight (1, 1) = 18 units against a fused kernel's 2: +16 per element of the
///    rank's tokens x hidden;
///  - rotary embedding of q and k: float (1, 2), complex multiply (2, 2), type_as (2, 1) = 10 units
///    against a fused kernel's 2: +8 per element of q and k (the fused kernel's own 2 units are not
///    modelled in either case);
///  - SwiGLU: silu (1, 1) then multiply (2, 1) = 5 units against the fused kernel's 3: +2 per
///    element of the MLP's inner width.
/// The backward (autograd re-reads each op's saved inputs and writes its input gradients) is taken
/// as twice the forward's traffic. LayerNorm and GeLU are one native kernel each in eager PyTorch
/// and learned positions are added once at the embedding: GPT-style layers add nothing.
void eager_elementwise(std::vector<Kernel>& v, const TransformerConfig& c, const LayerShard& s, const Dims& d,
                       int layer, bool backward) {
  if (s.fused_elementwise) return;
  const double inner =
      c.activation != Activation::SwiGLU || c.is_moe_layer(layer) ? 0.0 : static_cast<double>(c.ffn) / s.tp;
  const double norms = c.norm == NormKind::RMSNorm ? 2.0 * 16.0 * d.Tsp * d.h : 0.0;
  const double k_width = c.mla ? static_cast<double>(c.q_dim()) : d.kv;  // MLA: keys as wide as queries
  const double rope = c.learned_positions ? 0.0 : 8.0 * d.T * (d.q + k_width) / s.tp;
  const double units = norms + rope + 2.0 * d.T * inner;
  if (units <= 0) return;
  v.push_back(memory_kernel(backward ? "eager_elementwise_bwd" : "eager_elementwise",
                            act_bytes(d, units) * (backward ? 2.0 : 1.0), s.precision));
}

/// The products from the layer's normed input to Q, K and V. Multi-head attention: one fused QKV
/// product (column-parallel) and its bias. Multi-head latent attention (MlaConfig): the query and
/// key-value down projections, duplicated on every tensor-parallel rank (Megatron-Core builds them
/// as TELinear with parallel_mode "duplicated"), then the column-parallel up projections. The
/// backward runs the same products' data and weight gradients in reverse order.
void attention_in_projections(std::vector<Kernel>& v, const TransformerConfig& c, const LayerShard& s, const Dims& d,
                              bool backward) {
  if (!c.mla) {
    const double qkv = (d.q + d.kv2) / s.tp;
    if (backward) bias_grad(v, c, s, d, "qkv_bias_grad", d.T, qkv);
    adapted_linear(v, c, c.lora && c.lora->attention, "qkv", d.Ti, static_cast<std::int64_t>(qkv), c.hidden, s, d.eb,
                   backward, !backward);
    if (!backward) bias_add(v, c, s, d, "qkv_bias_add", qkv);
    return;
  }
  const MlaConfig& m = *c.mla;
  const std::int64_t q_local = c.q_dim() / s.tp;
  const std::int64_t kv_up_local = c.heads * (m.qk_nope_head_dim + m.v_head_dim) / s.tp;
  auto q_products = [&] {
    if (m.q_lora_rank > 0) {
      linear(v, "mla_q_down", d.Ti, m.q_lora_rank, c.hidden, s, d.eb, backward, !backward);
      linear(v, "mla_q_up", d.Ti, q_local, m.q_lora_rank, s, d.eb, backward);
    } else {
      linear(v, "mla_q", d.Ti, q_local, c.hidden, s, d.eb, backward, !backward);
    }
  };
  auto kv_products = [&] {
    linear(v, "mla_kv_down", d.Ti, m.kv_lora_rank + m.qk_rope_head_dim, c.hidden, s, d.eb, backward, !backward);
    linear(v, "mla_kv_up", d.Ti, kv_up_local, m.kv_lora_rank, s, d.eb, backward);
  };
  q_products();
  kv_products();
}

/// The shard as the model trains it: frozen base weights under LoRA.
LayerShard of_model(const TransformerConfig& c, LayerShard s) {
  s.frozen_weights = s.frozen_weights || c.lora.has_value();
  return s;
}

}  // namespace

std::vector<Kernel> layer_forward(const TransformerConfig& c, const LayerShard& shard, int layer) {
  const LayerShard s = of_model(c, shard);
  const Dims d = dims(c, s);
  std::vector<Kernel> v;
  const auto p = s.precision;
  v.push_back(norm("input_norm", d, p));
  tp_enter(v, c, s, d, "tp_allgather_attn", UbSite::QkvFprop);
  attention_in_projections(v, c, s, d, false);
  attention_core(v, c, s, d, false);
  adapted_linear(v, c, c.lora && c.lora->attention, "attn_out", d.Ti, c.hidden, c.attn_out_width() / s.tp, s, d.eb,
                 false);
  tp_exit(v, c, s, d, "tp_allreduce_attn", UbSite::ProjFprop);
  v.push_back(dropout_residual("attn_residual", d, p, s.dropout));
  v.push_back(norm("post_attn_norm", d, p));
  // A folded MoE layer (etp < tp) dispatches each rank's own tokens: no TP collectives around it
  // (with 1 < etp < tp the etp-group's gather and scatter are not modelled).
  const bool folded = c.is_moe_layer(layer) && s.etp > 0 && s.etp < s.tp;
  if (!folded) tp_enter(v, c, s, d, "tp_allgather_mlp", UbSite::Fc1Fprop);
  mlp(v, c, s, d, layer, false);
  if (!folded) tp_exit(v, c, s, d, "tp_allreduce_mlp", UbSite::Fc2Fprop);
  v.push_back(dropout_residual("mlp_residual", d, p, s.dropout));
  if (s.fp32_weights_autocast)
    v.push_back(memory_kernel("autocast_weight_cast", 6.0 * layer_weight_elements(c, s, layer), p));
  eager_elementwise(v, c, s, d, layer, false);
  return v;
}

std::vector<Kernel> layer_backward(const TransformerConfig& c, const LayerShard& shard, int layer) {
  const LayerShard s = of_model(c, shard);
  const Dims d = dims(c, s);
  std::vector<Kernel> v;
  const auto p = s.precision;
  Kernel res = dropout_residual("mlp_residual_bwd", d, p, s.dropout);
  v.push_back(res);
  eager_elementwise(v, c, s, d, layer, true);
  bias_grad(v, c, s, d, "mlp_down_bias_grad", d.Tsp, d.h);
  const bool folded = c.is_moe_layer(layer) && s.etp > 0 && s.etp < s.tp;
  if (!folded) tp_enter(v, c, s, d, "tp_allgather_mlp_grad", UbSite::Fc2Dgrad);  // backward of reduce-scatter
  mlp(v, c, s, d, layer, true);
  if (!folded) tp_exit(v, c, s, d, "tp_allreduce_mlp_grad", UbSite::Fc1Wgrad);  // backward of the input copy
  v.push_back(memory_kernel("post_attn_norm_bwd", 2.0 * norm("", d, p).bytes, p));
  v.push_back(dropout_residual("attn_residual_bwd", d, p, s.dropout));
  bias_grad(v, c, s, d, "attn_out_bias_grad", d.Tsp, d.h);
  tp_enter(v, c, s, d, "tp_allgather_attn_grad", UbSite::ProjDgrad);
  adapted_linear(v, c, c.lora && c.lora->attention, "attn_out", d.Ti, c.hidden, c.attn_out_width() / s.tp, s, d.eb,
                 true);
  attention_core(v, c, s, d, true);
  tp_regather_input(v, s, d, "tp_allgather_attn_input_bwd", UbSite::QkvDgrad);
  attention_in_projections(v, c, s, d, true);
  tp_exit(v, c, s, d, "tp_allreduce_attn_grad", UbSite::QkvWgrad);
  v.push_back(memory_kernel("input_norm_bwd", 2.0 * norm("", d, p).bytes, p));
  if (s.fp32_weights_autocast)
    v.push_back(memory_kernel("autocast_wgrad_cast_and_reduce_cast", 12.0 * layer_weight_elements(c, s, layer), p));
  return v;
}

std::vector<Kernel> layer_recompute(const TransformerConfig& c, const LayerShard& shard, int layer, Recompute r) {
  const LayerShard s = of_model(c, shard);
  if (r == Recompute::None) return {};
  if (r == Recompute::Full) {
    auto v = layer_forward(c, s, layer);
    for (auto& k : v) k.name = "recompute_" + k.name;
    return v;
  }
  // Selective (Korthikanti et al. 2022, Sec. 5), by module (Megatron-Core --recompute-modules).
  const RecomputeModules m = selective_modules(c, s.recompute_modules);
  std::vector<Kernel> v;
  const Dims d = dims(c, s);
  const bool moe_layer = c.is_moe_layer(layer);
  if (m.layernorm || (m.moe_act && moe_layer)) {
    // The forward's own kernels of those modules, run again before the backward needs their
    // outputs (Megatron-Core CheckpointWithoutOutput around the pre-MLP norm of an MoE layer, the
    // input norm of latent attention, and the experts' activation function).
    for (const Kernel& k : layer_forward(c, s, layer)) {
      const bool norm = m.layernorm && ((k.name == "post_attn_norm" && moe_layer) || (k.name == "input_norm" && c.mla));
      const bool act = m.moe_act && moe_layer && (k.name == "swiglu" || k.name == "gelu");
      if (norm || act) v.push_back(k);
    }
  }
  if (m.mla_up_proj && c.mla) {
    // Multi-head latent attention: the up projections are recomputed from the latents (DeepSeek-V3
    // report, arXiv:2412.19437, Sec. 3.2.3 "Recomputation of RMSNorm and MLA Up-Projection";
    // Megatron-Bridge's DeepSeek recipes: recompute_modules ["mla_up_proj"]).
    const MlaConfig& ml = *c.mla;
    if (ml.q_lora_rank > 0) linear(v, "mla_q_up", d.Ti, c.q_dim() / s.tp, ml.q_lora_rank, s, d.eb, false);
    linear(v, "mla_kv_up", d.Ti, c.heads * (ml.qk_nope_head_dim + ml.v_head_dim) / s.tp, ml.kv_lora_rank, s, d.eb,
           false);
  }
  if (m.core_attn) {
    // Megatron-Core checkpoints the core attention whatever its kernel
    // (megatron/core/transformer/attention.py: _checkpointed_attention_forward around
    // core_attention), so with flash attention the backward re-runs the flash forward, and with
    // context parallelism its K/V ring, before the flash backward.
    std::vector<Kernel> a;
    attention_core(a, c, s, d, false);
    if (s.attention == AttentionImpl::Unfused)
      a.erase(std::remove_if(a.begin(), a.end(), [](const Kernel& k) { return k.kind == KernelKind::Collective; }),
              a.end());
    v.insert(v.end(), a.begin(), a.end());
  }
  for (auto& k : v) k.name = "recompute_" + k.name;
  return v;
}

RecomputeModules selective_modules(const TransformerConfig& c, const RecomputeModules& m) {
  if (m.stated) return m;
  RecomputeModules d;
  d.core_attn = !c.mla.has_value();
  d.mla_up_proj = c.mla.has_value();
  return d;
}

std::vector<Kernel> embedding_forward(const TransformerConfig& c, const LayerShard& shard) {
  const LayerShard s = of_model(c, shard);
  const Dims d = dims(c, s);
  // Vocabulary-parallel lookup: gather rows, add positions, all-reduce across TP (Megatron
  // VocabParallelEmbedding); with SP a reduce-scatter.
  std::vector<Kernel> v;
  v.push_back(memory_kernel("embedding_lookup", 3.0 * act_bytes(d, d.T * d.h), s.precision));
  tp_exit(v, c, s, d, "tp_allreduce_embedding");
  return v;
}

std::vector<Kernel> embedding_backward(const TransformerConfig& c, const LayerShard& s) {
  // A frozen embedding (LoRA) takes no gradient: the backward stops at the first layer.
  if (c.lora) return {};
  const Dims d = dims(c, s);
  std::vector<Kernel> v;
  tp_enter(v, c, s, d, "tp_allgather_embedding_grad");
  v.push_back(memory_kernel("embedding_grad_scatter", 3.0 * act_bytes(d, d.T * d.h), s.precision));
  return v;
}

std::vector<Kernel> head_forward(const TransformerConfig& c, const LayerShard& shard) {
  const LayerShard s = of_model(c, shard);
  const Dims d = dims(c, s);
  std::vector<Kernel> v;
  v.push_back(norm("final_norm", d, s.precision));
  tp_enter(v, c, s, d, "tp_allgather_head");
  const std::int64_t vl = c.vocab / s.tp;
  linear(v, "logits", d.Ti, vl, c.hidden, output_layer_shard(s), d.eb, false, true);
  // Vocab-parallel cross-entropy in fp32 (Megatron-LM mpu/cross_entropy.py, 2020-2024): the
  // logits are cast to fp32 (read eb, write 4), then max (read 4), subtract the max in place
  // (read+write 8), exp in place (8), sum (read 4) and divide in place (8), the softmax kept for
  // the backward; plus two small all-reduces of per-token statistics.
  v.push_back(memory_kernel("cross_entropy", (d.eb + 36.0) * d.T * static_cast<double>(vl), s.precision));
  if (s.tp > 1)
    v.push_back(collective_kernel("tp_allreduce_ce_stats", CollectiveKind::AllReduce, GroupRole::TP, 3 * 4.0 * d.T));
  return v;
}

std::vector<Kernel> head_backward(const TransformerConfig& c, const LayerShard& shard) {
  const LayerShard s = of_model(c, shard);
  const Dims d = dims(c, s);
  std::vector<Kernel> v;
  const std::int64_t vl = c.vocab / s.tp;
  // Backward: the saved softmax minus the one-hot target, scaled in place by the loss gradient
  // (read+write 8), and cast back to the logits' precision (read 4, write eb).
  v.push_back(memory_kernel("cross_entropy_bwd", (12.0 + d.eb) * d.T * static_cast<double>(vl), s.precision));
  linear(v, "logits", d.Ti, vl, c.hidden, output_layer_shard(s), d.eb, true);
  tp_exit(v, c, s, d, "tp_allreduce_head_grad");
  v.push_back(memory_kernel("final_norm_bwd", 2.0 * norm("", d, s.precision).bytes, s.precision));
  return v;
}

}  // namespace trainsim
