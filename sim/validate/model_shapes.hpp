#pragma once
// Public architecture of models that published-run tables name without a shape (e.g. the NeMo
// performance summary lists "GPT3-5B" or "Nemotron-22B" and nothing else). The validator uses it
// to fill a record's null layers/hidden/heads/ffn/kv_heads/vocab/activation, and says so per row.
#include <cstdint>
#include <optional>
#include <string>

namespace trainsim {

struct PublishedModelShape {
  int layers = 0, heads = 0, kv_heads = 0;
  std::int64_t hidden = 0, ffn = 0, vocab = 0;
  const char* activation = "gelu";  ///< schema names: gelu, swiglu, relu (squared ReLU counts as relu)
  bool bias = true;                 ///< linear layers carry biases
  bool tied_embeddings = true;      ///< output layer shares the input embedding
  const char* source = "";          ///< where the numbers were read
};

/// The shape for a model name as published (case, spaces, '-' and '_' ignored), or nullopt.
std::optional<PublishedModelShape> published_model_shape(const std::string& name);

/// Multi-head latent attention dimensions of a model family's released configuration (the schema
/// marks such a record `model.attention: "mla"` and leaves the dimensions to its notes).
struct PublishedMlaShape {
  std::int64_t q_lora_rank = 0, kv_lora_rank = 0, qk_nope_head_dim = 0, qk_rope_head_dim = 0, v_head_dim = 0;
  const char* source = "";
};
std::optional<PublishedMlaShape> published_mla_shape(const std::string& name);

}  // namespace trainsim
