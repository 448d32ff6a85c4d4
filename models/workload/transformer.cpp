#include "models/workload/transformer.hpp"

#include "models/util/checked.hpp"

namespace trainsim {

const char* to_string(Activation a) {
  switch (a) {
    case Activation::GeLU: return "gelu";
    case Activation::SwiGLU: return "swiglu";
    case Activation::ReLU: return "relu";
  }
  return "?";
}

std::int64_t ParamCount::layer_total(const TransformerConfig& c, int layer) const {
  return attention + norms + (c.is_moe_layer(layer) ? moe_mlp : mlp);
}

std::int64_t attention_matrix_params(const TransformerConfig& c) {
  const std::int64_t h = c.hidden;
  if (c.mla) {
    // MLA (arXiv:2405.04434 Sec. 2.1; DeepSeek-V3 config.json names): q down h x q_lora and up
    // q_lora x heads*qk (or h x heads*qk without a query latent), kv down h x (kv_lora + rope),
    // kv up kv_lora x heads*(nope + v), output heads*v x h.
    const auto& m = *c.mla;
    const std::int64_t q = c.q_dim(), heads = c.heads;
    const std::int64_t q_proj =
        m.q_lora_rank > 0 ? checked_mul(h, m.q_lora_rank, "attention") + checked_mul(m.q_lora_rank, q, "attention")
                          : checked_mul(h, q, "attention");
    return q_proj + checked_mul(h, m.kv_lora_rank + m.qk_rope_head_dim, "attention") +
           checked_mul(m.kv_lora_rank, heads * (m.qk_nope_head_dim + m.v_head_dim), "attention") +
           checked_mul(c.attn_out_width(), h, "attention");
  }
  // Q (h x q), K and V (h x kv each), output (q x h). q = h unless the model states a head_dim
  // with heads x head_dim != hidden.
  return checked_add(checked_mul(h, c.q_dim() + c.kv_width(), "attention"), checked_mul(c.q_dim(), h, "attention"),
                     "attention");
}

ParamCount count_parameters(const TransformerConfig& c) {
  const std::int64_t h = c.hidden, f = c.ffn, kv = c.kv_dim(), q = c.q_dim();
  const int b = c.bias ? 1 : 0;
  ParamCount p;
  // Attention matrices, biases on QKV and output (MHA only), and MLA's RMSNorms on its two latents.
  p.attention = attention_matrix_params(c) + (c.mla ? c.mla->q_lora_rank + c.mla->kv_lora_rank : b * (q + 2 * kv + h));
  // MLP: gelu/relu: up h x f, down f x h (+ biases f and h); SwiGLU: gate, up, down (no bias).
  auto mlp_params = [&](std::int64_t inner) {
    return checked_mul(c.mlp_matrices(), checked_mul(h, inner, "mlp"), "mlp") + b * (inner + h);
  };
  p.mlp = mlp_params(f);
  if (c.moe) {
    const auto& m = *c.moe;
    std::int64_t expert = mlp_params(m.expert_ffn);
    std::int64_t router = checked_mul(h, m.experts, "router");
    p.moe_mlp = checked_mul(expert, m.experts + m.shared_experts, "moe") + router;
    p.routed_experts = checked_mul(expert, m.experts, "moe");
    p.router = router;
    p.moe_active = checked_mul(expert, m.top_k + m.shared_experts, "moe") + router;
  }
  // Norms: LayerNorm has gain and bias (2h), RMSNorm a gain (h); two per layer.
  const std::int64_t norm = (c.norm == NormKind::LayerNorm ? 2 : 1) * h;
  p.norms = 2 * norm;
  p.final_norm = norm;
  p.embedding =
      checked_mul(c.vocab, h, "embedding") + (c.learned_positions ? checked_mul(c.seq_len, h, "positions") : 0);
  p.output = c.tied_embeddings ? 0 : checked_mul(c.vocab, h, "output");
  std::int64_t total = p.embedding + p.output + p.final_norm, active = total;
  for (int l = 0; l < c.layers; ++l) {
    total = checked_add(total, p.layer_total(c, l), "parameters");
    active = checked_add(active, p.attention + p.norms + (c.is_moe_layer(l) ? p.moe_active : p.mlp), "parameters");
  }
  p.total = total;
  p.active = active;
  return p;
}

double model_flops_per_iteration(const TransformerConfig& c, std::int64_t global_batch) {
  // Per token and layer, forward: 2 x (active matrix parameters) for the linear layers plus
  // 2 x 2 x s x h for attention scores and weighted values (causal masking is not discounted,
  // following Narayanan et al. and the MFU convention of Chowdhery et al. 2022, appendix B).
  const double s = static_cast<double>(c.seq_len), h = static_cast<double>(c.hidden);
  const double tokens = static_cast<double>(global_batch) * s;
  const ParamCount p = count_parameters(c);
  double fwd = 0, core = 0, adapters = 0;
  const double attn_linear = static_cast<double>(attention_matrix_params(c));
  // Scores (QK^T, qk wide) and weighted values (v wide) per head: 4 s q for MHA.
  const double attn_core =
      2.0 * s * static_cast<double>(c.heads) * static_cast<double>(c.qk_head_dim() + c.v_head_dim());
  for (int l = 0; l < c.layers; ++l) {
    double mlp_linear = c.is_moe_layer(l) ? static_cast<double>(c.moe->top_k + c.moe->shared_experts) *
                                                    c.mlp_matrices() * h * static_cast<double>(c.moe->expert_ffn) +
                                                h * c.moe->experts
                                          : static_cast<double>(c.mlp_matrices()) * h * static_cast<double>(c.ffn);
    fwd += 2.0 * (attn_linear + mlp_linear) + attn_core;
    core += attn_core;
    adapters += 2.0 * static_cast<double>(lora_layer_params(c, l));
  }
  fwd += 2.0 * h * static_cast<double>(c.vocab);  // logits
  (void)p;
  // Backward = 2 x forward; under LoRA the frozen products run their data gradients only (1 x),
  // the attention core and the adapters both gradients.
  if (c.lora) return (2.0 * (fwd - core) + 3.0 * (core + adapters)) * tokens;
  return 3.0 * fwd * tokens;
}

double narayanan_eq3_flops(const TransformerConfig& c, std::int64_t global_batch) {
  const double B = static_cast<double>(global_batch), s = static_cast<double>(c.seq_len);
  const double l = c.layers, h = static_cast<double>(c.hidden), V = static_cast<double>(c.vocab);
  return 96.0 * B * s * l * h * h * (1.0 + s / (6.0 * h) + V / (16.0 * l * h));
}

TransformerConfig parse_transformer(const JsonReader& r) {
  r.reject_unknown({"name", "layers", "hidden", "heads", "kv_heads", "head_dim", "mla", "lora", "ffn", "vocab",
                    "seq_len", "activation", "norm", "bias", "position", "tied_embeddings", "moe", "params_b",
                    "source"});
  TransformerConfig c;
  c.name = r.opt_str("name").value_or("model");
  c.layers = static_cast<int>(r.integer("layers", 1, 100000));
  c.hidden = r.integer("hidden", 1, 10'000'000);
  c.heads = static_cast<int>(r.integer("heads", 1, 1'000'000));
  c.kv_heads = static_cast<int>(r.opt_integer("kv_heads", 1, 1'000'000).value_or(c.heads));
  c.vocab = r.integer("vocab", 1, 100'000'000);
  c.seq_len = r.integer("seq_len", 1, 100'000'000);
  auto act = r.opt_choice("activation", {"gelu", "swiglu", "relu"}).value_or("gelu");
  c.activation = act == "gelu" ? Activation::GeLU : act == "swiglu" ? Activation::SwiGLU : Activation::ReLU;
  c.ffn = r.opt_integer("ffn", 1, 1'000'000'000).value_or(4 * c.hidden);
  // Llama-style defaults follow from SwiGLU: RMSNorm, no biases, rotary positions, untied output.
  const bool llama = c.activation == Activation::SwiGLU;
  c.norm = r.opt_choice("norm", {"layernorm", "rmsnorm"}).value_or(llama ? "rmsnorm" : "layernorm") == "layernorm"
               ? NormKind::LayerNorm
               : NormKind::RMSNorm;
  c.bias = r.opt_boolean("bias").value_or(!llama);
  c.learned_positions =
      r.opt_choice("position", {"learned", "rotary", "alibi"}).value_or(llama ? "rotary" : "learned") == "learned";
  c.tied_embeddings = r.opt_boolean("tied_embeddings").value_or(!llama);
  c.head_dim_override = r.opt_integer("head_dim", 1, 1'000'000).value_or(0);
  if (auto m = r.opt_object("mla")) {
    m->reject_unknown({"q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"});
    MlaConfig x;
    x.q_lora_rank = m->opt_integer("q_lora_rank", 0, 1'000'000).value_or(0);
    x.kv_lora_rank = m->integer("kv_lora_rank", 1, 1'000'000);
    x.qk_nope_head_dim = m->integer("qk_nope_head_dim", 1, 1'000'000);
    x.qk_rope_head_dim = m->integer("qk_rope_head_dim", 0, 1'000'000);
    x.v_head_dim = m->integer("v_head_dim", 1, 1'000'000);
    c.mla = x;
  }
  if (auto l = r.opt_object("lora")) {
    l->reject_unknown({"rank", "alpha", "targets", "dropout"});
    LoraConfig x;
    x.rank = l->opt_integer("rank", 1, 1'000'000).value_or(16);
    l->opt_number("alpha", 0, 1e6);  // a scale on the adapters' output: no cost
    x.dropout = l->opt_number("dropout", 0, 0.99).value_or(0.0);
    if (l->present("targets")) {
      const auto& t = l->json().at("targets");
      if (!t.is_array() || t.empty())
        throw InputError(l->where("targets"), "a non-empty array of \"attention\" and \"mlp\"",
                         JsonReader::describe(t));
      x.attention = x.mlp = false;
      for (std::size_t i = 0; i < t.size(); ++i) {
        const bool attention = t[i] == "attention", mlp = t[i] == "mlp";
        if (!attention && !mlp)
          throw InputError(l->where("targets") + "[" + std::to_string(i) + "]", "\"attention\" or \"mlp\"",
                           JsonReader::describe(t[i]));
        x.attention = x.attention || attention;
        x.mlp = x.mlp || mlp;
      }
    }
    c.lora = x;
  }
  if (c.head_dim_override == 0 && c.hidden % c.heads != 0)
    throw InputError(r.where("heads"), "a divisor of hidden = " + std::to_string(c.hidden) + " (or a head_dim)",
                     std::to_string(c.heads));
  if (c.heads % c.kv_heads != 0)
    throw InputError(r.where("kv_heads"), "a divisor of heads = " + std::to_string(c.heads),
                     std::to_string(c.kv_heads));
  if (auto m = r.opt_object("moe")) {
    m->reject_unknown({"experts", "top_k", "expert_ffn", "shared_experts", "moe_every", "moe_layers", "capacity_factor",
                       "first_dense_layers", "load_skew"});
    MoeConfig moe;
    moe.experts = static_cast<int>(m->integer("experts", 1, 100000));
    moe.top_k = static_cast<int>(m->opt_integer("top_k", 1, moe.experts).value_or(2));
    moe.expert_ffn = m->opt_integer("expert_ffn", 1, 1'000'000'000).value_or(c.ffn);
    moe.shared_experts = static_cast<int>(m->opt_integer("shared_experts", 0, 1000).value_or(0));
    moe.moe_every = static_cast<int>(m->opt_integer("moe_every", 1, c.layers).value_or(1));
    if (auto ml = m->opt_integer("moe_layers", 1, c.layers))
      moe.moe_every = std::max<int>(1, c.layers / static_cast<int>(*ml));
    moe.capacity_factor = m->opt_number("capacity_factor", 0.1, 100).value_or(0.0);
    moe.first_dense_layers = static_cast<int>(m->opt_integer("first_dense_layers", 0, c.layers - 1).value_or(0));
    moe.load_skew = m->opt_number("load_skew", 1.0, static_cast<double>(moe.experts)).value_or(1.0);
    c.moe = moe;
  }
  return c;
}

std::int64_t lora_layer_params(const TransformerConfig& c, int layer) {
  if (!c.lora) return 0;
  const std::int64_t r = c.lora->rank, h = c.hidden;
  std::int64_t p = 0;
  // QKV (h -> q + 2 kv) and the output projection (attention width -> h); MLA keeps its own
  // products (the adapters are put on its query and key-value up projections' widths alike).
  if (c.lora->attention) p += r * (h + c.q_dim() + c.kv_width()) + r * (c.attn_out_width() + h);
  if (c.lora->mlp && !c.is_moe_layer(layer)) {
    const std::int64_t up = c.activation == Activation::SwiGLU ? 2 * c.ffn : c.ffn;
    p += r * (h + up) + r * (c.ffn + h);
  }
  return p;
}

double layer_matrix_params_per_rank(const TransformerConfig& c, const ParamCount& pc, int tp, int ep, int etp,
                                    int layer) {
  // Megatron-Core MoE layer: the routed experts split over ep x etp ranks, the shared experts a
  // tensor-parallel MLP, the router's weight replicated on every rank (megatron/core/transformer/
  // moe: TopKRouter holds the whole hidden x experts matrix; SharedExpertMLP is an MLP over tp).
  if (c.is_moe_layer(layer))
    return static_cast<double>(pc.attention) / tp + static_cast<double>(pc.routed_experts) / (ep * etp) +
           static_cast<double>(pc.moe_mlp - pc.routed_experts - pc.router) / tp + static_cast<double>(pc.router);
  return (static_cast<double>(pc.attention) + static_cast<double>(pc.mlp)) / tp;
}

}  // namespace trainsim
