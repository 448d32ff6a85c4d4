#pragma once
// Model shapes and a kernel lookup shared by the layer-kernel tests.
#include <cstdint>
#include <string>
#include <vector>

#include "models/workload/layer_kernels.hpp"

namespace trainsim::testing {

/// A Llama-family decoder: SwiGLU MLP, RMSNorm, rotary positions, untied embeddings, no biases.
inline TransformerConfig llama(int layers, std::int64_t hidden, int heads, int kv_heads, std::int64_t ffn,
                               std::int64_t vocab, std::int64_t seq_len) {
  TransformerConfig c;
  c.layers = layers;
  c.hidden = hidden;
  c.heads = heads;
  c.kv_heads = kv_heads;
  c.ffn = ffn;
  c.vocab = vocab;
  c.seq_len = seq_len;
  c.activation = Activation::SwiGLU;
  c.norm = NormKind::RMSNorm;
  c.bias = false;
  c.learned_positions = false;
  c.tied_embeddings = false;
  return c;
}
/// Meta's published configurations.
inline TransformerConfig llama3_8b() { return llama(32, 4096, 32, 8, 14336, 128256, 8192); }
inline TransformerConfig llama2_70b() { return llama(80, 8192, 64, 8, 28672, 32000, 4096); }

/// The first kernel of `v` named `name`, or nullptr.
inline const Kernel* find_kernel(const std::vector<Kernel>& v, const std::string& name) {
  for (const auto& k : v)
    if (k.name == name) return &k;
  return nullptr;
}

}  // namespace trainsim::testing
