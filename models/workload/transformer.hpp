#pragma once
// TransformerConfig: the shape of a decoder-only transformer and its exact parameter count.
// Conventions follow Megatron-LM (Shoeybi et al. 2019; Narayanan et al. SC'21) and the Llama
// papers (Touvron et al. 2023; Dubey et al. 2024).
#include <cstdint>
#include <optional>
#include <string>

#include "models/util/json_reader.hpp"

namespace trainsim {

enum class Activation { GeLU, SwiGLU, ReLU };
enum class NormKind { LayerNorm, RMSNorm };

/// Mixture-of-experts MLP (Fedus et al. 2021; Jiang et al. 2024 Mixtral).
struct MoeConfig {
  int experts = 0;
  int top_k = 1;
  std::int64_t expert_ffn = 0;  ///< inner size of each expert MLP
  int shared_experts = 0;
  int moe_every = 1;  ///< MoE MLP on every n-th layer (1 = all layers)
  /// > 0: every expert is padded or truncated to capacity_factor x its average token count
  /// (GShard, Lepikhin et al. 2020; Switch, Fedus et al. 2021); 0: dropless routing (Megatron-core
  /// and MegaBlocks default), where the busiest expert takes what the router sends it.
  double capacity_factor = 0;
  int first_dense_layers = 0;  ///< leading layers with a dense MLP (DeepSeek-V3: first_k_dense_replace = 3)
  /// Expert load imbalance: tokens routed to the busiest expert-parallel rank / the average
  /// (1 = balanced). All-to-all and expert compute wait for the busiest rank.
  double load_skew = 1.0;

  /// Work of the busiest expert-parallel rank relative to a balanced one.
  double busiest_rank_load() const { return capacity_factor > 0 ? capacity_factor : load_skew; }
};

/// Multi-head latent attention (DeepSeek-V2/V3; DeepSeek-AI, arXiv:2405.04434, Sec. 2.1): the
/// input is projected down to a query latent and a key-value latent (plus a shared rotary key) and
/// back up per head; QK heads are qk_nope + qk_rope wide, V heads v_head_dim. In Megatron-Core the
/// down projections are duplicated on every tensor-parallel rank (TELinear parallel_mode
/// "duplicated", megatron/core/transformer/multi_latent_attention.py) and the up projections are
/// column-parallel.
struct MlaConfig {
  std::int64_t q_lora_rank = 0;  ///< 0: queries projected directly from the input (DeepSeek-V2-Lite)
  std::int64_t kv_lora_rank = 0;
  std::int64_t qk_nope_head_dim = 0, qk_rope_head_dim = 0, v_head_dim = 0;
};

/// Low-rank adaptation (Hu et al. 2021, arXiv:2106.09685): the base weights are frozen and each
/// targeted product X W gains X A B with A (k x rank) and B (rank x n) trained. As NeMo's
/// ParallelLinearAdapter runs it (the MLPerf Training llama2_70b_lora reference: rank 16, alpha 32,
/// on the attention products linear_qkv and linear_proj): the base products run forward and their
/// data gradients only; the adapters' products, the addition of their output and the dropout on
/// their input are extra kernels; gradients, their synchronisation and the optimizer cover the
/// adapters alone.
struct LoraConfig {
  std::int64_t rank = 16;
  bool attention = true;  ///< adapters on the attention products (QKV and output projection)
  bool mlp = false;       ///< adapters on the dense MLP products (up and down)
  double dropout = 0.0;   ///< dropout on the adapters' input (MLPerf: 0.1)
};

struct TransformerConfig {
  std::string name;
  int layers = 0;
  std::int64_t hidden = 0;
  int heads = 0;
  int kv_heads = 0;      ///< grouped-query attention; == heads for multi-head attention
  std::int64_t ffn = 0;  ///< MLP inner size (per matrix for SwiGLU)
  std::int64_t vocab = 0;
  std::int64_t seq_len = 0;
  Activation activation = Activation::GeLU;
  NormKind norm = NormKind::LayerNorm;
  bool bias = true;               ///< linear layers carry biases (GPT-2/3 style)
  bool learned_positions = true;  ///< learned absolute position embedding (GPT); false = rotary (Llama)
  bool tied_embeddings = true;    ///< output projection shares the input embedding
  std::optional<MoeConfig> moe;

  /// Per-head width when heads x head_dim differs from hidden (Qwen3, GPT-OSS: model.head_dim);
  /// 0: hidden / heads.
  std::int64_t head_dim_override = 0;

  /// Multi-head latent attention instead of (grouped-query) multi-head attention.
  std::optional<MlaConfig> mla;

  /// LoRA fine-tuning of this model (model.lora): frozen base, trained adapters.
  std::optional<LoraConfig> lora;

  std::int64_t head_dim() const { return head_dim_override > 0 ? head_dim_override : hidden / heads; }
  /// Per-head widths of queries/keys and of values (different under MLA: 192 and 128 for DeepSeek-V3).
  std::int64_t qk_head_dim() const { return mla ? mla->qk_nope_head_dim + mla->qk_rope_head_dim : head_dim(); }
  std::int64_t v_head_dim() const { return mla ? mla->v_head_dim : head_dim(); }
  std::int64_t q_dim() const { return qk_head_dim() * heads; }   ///< query width
  std::int64_t kv_dim() const { return head_dim() * kv_heads; }  ///< K (and V) width of (GQA) MHA
  /// Width of the keys and values together after projection: 2 kv_dim, or heads x (qk + v) under MLA.
  std::int64_t kv_width() const { return mla ? heads * (qk_head_dim() + v_head_dim()) : 2 * kv_dim(); }
  std::int64_t attn_out_width() const { return v_head_dim() * heads; }  ///< input of the output projection
  int mlp_matrices() const { return activation == Activation::SwiGLU ? 3 : 2; }
  bool is_moe_layer(int layer) const {
    return moe && layer >= moe->first_dense_layers && ((layer + 1) % moe->moe_every == 0);
  }
  /// Layers of the same kind run the same kernels (dense or MoE MLP today): what a cost cache may
  /// share between layers.
  int layer_kind(int layer) const { return is_moe_layer(layer) ? 1 : 0; }
  int moe_layers() const {
    int n = 0;
    for (int l = 0; l < layers; ++l) n += is_moe_layer(l);
    return n;
  }
};

/// Parameter counts, exact for the conventions above.
struct ParamCount {
  std::int64_t attention = 0;       ///< per layer: QKV + output projection (+ biases)
  std::int64_t mlp = 0;             ///< per dense layer (+ biases)
  std::int64_t moe_mlp = 0;         ///< per MoE layer: all experts + shared experts + router
  std::int64_t routed_experts = 0;  ///< of moe_mlp, the routed experts (split over expert parallelism)
  std::int64_t router = 0;          ///< of moe_mlp, the router (replicated on every rank)
  std::int64_t moe_active = 0;      ///< per MoE layer: parameters a token touches (top_k + shared + router)
  std::int64_t norms = 0;           ///< per layer
  std::int64_t embedding = 0;       ///< word (+ position) embedding
  std::int64_t output = 0;          ///< untied output projection (0 when tied)
  std::int64_t final_norm = 0;
  std::int64_t layer_total(const TransformerConfig& c, int layer) const;
  std::int64_t total = 0;
  std::int64_t active = 0;  ///< per-token active parameters (== total for dense models)
};

ParamCount count_parameters(const TransformerConfig& c);
/// LoRA adapter parameters of one layer (all ranks together; 0 without LoRA): rank x (inputs +
/// outputs) of each targeted product.
std::int64_t lora_layer_params(const TransformerConfig& c, int layer);
/// The same held by one rank: split over tp as the products the adapters sit beside. The one
/// statement of the split, for the plan units' gradients and the memory model's optimizer state.
inline double lora_layer_params_per_rank(const TransformerConfig& c, int tp, int layer) {
  return static_cast<double>(lora_layer_params(c, layer)) / tp;
}
/// Weight elements of one layer's attention products (input projections and output projection).
std::int64_t attention_matrix_params(const TransformerConfig& c);

/// Weight-matrix parameters of one layer held by one rank (norms excluded): attention split over
/// tp, a dense MLP over tp, an MoE layer's routed experts over etp x ep (MoE parallel folding;
/// etp = tp unless folded), its shared experts over tp and its router whole on every rank. The one statement of the
/// split, for the planner's parameter counts and the kernels' per-weight casts.
double layer_matrix_params_per_rank(const TransformerConfig& c, const ParamCount& pc, int tp, int ep, int etp,
                                    int layer);

/// Model FLOPs of one training iteration (forward + backward, no recomputation), counting
/// matrix products only, attention included: for a dense GPT this equals Narayanan et al.
/// (SC'21) eq. (3) scaled by 3/4: 72·B·s·l·h²·(1 + s/6h) + 6·B·s·h·V.
double model_flops_per_iteration(const TransformerConfig& c, std::int64_t global_batch);

/// Narayanan et al. SC'21 eq. (3): F = 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)), which assumes full
/// activation recomputation (4 forward-equivalents per layer). Used to read published SC'21 numbers.
double narayanan_eq3_flops(const TransformerConfig& c, std::int64_t global_batch);

/// Reads a model object (`workload.model`). Errors name the JSON path.
TransformerConfig parse_transformer(const JsonReader& r);

const char* to_string(Activation a);

}  // namespace trainsim
