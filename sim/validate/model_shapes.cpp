#include "sim/validate/model_shapes.hpp"

#include <cctype>
#include <utility>

namespace trainsim {

namespace {

std::string key(const std::string& name) {
  std::string k;
  for (unsigned char c : name)
    if (std::isalnum(c)) k.push_back(static_cast<char>(std::tolower(c)));
  return k;
}

// NeMo 24.07's recipe models (the performance summary's "Pretraining" table names them only).
// GPT3 sizes: nemo/collections/llm/gpt/model/base.py, GPTConfig5B / GPTConfig20B (GeLU MLP,
// ffn = 4h); vocabulary: GPT-2 BPE padded to 51,200 as for the other GPT rows.
// Nemotron: nemo/collections/llm/gpt/model/nemotron.py (Nemotron3Config8B, Nemotron3Config22B,
// Nemotron4Config340B): squared-ReLU MLP (two matrices, like ReLU), no biases, 256,000-token
// vocabulary (Nemotron-4 340B technical report, NVIDIA 2024, Table 1: 96 layers, hidden 18,432,
// 96 heads, 8 KV heads, ffn 73,728). The 8B and 22B use full multi-head attention
// (num_query_groups = None).
constexpr const char* kNemoGpt = "NeMo GPTConfig5B/20B (nemo/collections/llm/gpt/model/base.py)";
constexpr const char* kNemotron = "NeMo Nemotron configs (nemo/collections/llm/gpt/model/nemotron.py)";

const std::pair<const char*, PublishedModelShape> kShapes[] = {
    {"gpt35b", {24, 32, 32, 4096, 16384, 51200, "gelu", true, true, kNemoGpt}},
    {"gpt320b", {44, 48, 48, 6144, 24576, 51200, "gelu", true, true, kNemoGpt}},
    {"nemotron8b", {32, 32, 32, 4096, 16384, 256000, "relu", false, false, kNemotron}},
    {"nemotron22b", {40, 48, 48, 6144, 24576, 256000, "relu", false, false, kNemotron}},
    {"nemotron340b", {96, 96, 8, 18432, 73728, 256000, "relu", false, false, kNemotron}},
};

// MLA dimensions from each model's released config.json (q_lora_rank, kv_lora_rank,
// qk_nope_head_dim, qk_rope_head_dim, v_head_dim). DeepSeek-V3 also in Megatron-Bridge's
// DeepSeekV3ModelProvider (src/megatron/bridge/models/deepseek/deepseek_provider.py, 2025);
// DeepSeek-V2-Lite projects queries without a latent (q_lora_rank null).
const std::pair<const char*, PublishedMlaShape> kMlaShapes[] = {
    {"deepseekv3", {1536, 512, 128, 64, 128, "deepseek-ai/DeepSeek-V3 config.json"}},
    {"deepseekv2", {1536, 512, 128, 64, 128, "deepseek-ai/DeepSeek-V2 config.json"}},
    {"deepseekv2lite", {0, 512, 128, 64, 128, "deepseek-ai/DeepSeek-V2-Lite config.json"}},
    {"kimik2", {1536, 512, 128, 64, 128, "moonshotai/Kimi-K2-Instruct config.json"}},
};

}  // namespace

std::optional<PublishedMlaShape> published_mla_shape(const std::string& name) {
  const std::string k = key(name);
  for (const auto& [n, shape] : kMlaShapes)
    if (k == n) return shape;
  return std::nullopt;
}

std::optional<PublishedModelShape> published_model_shape(const std::string& name) {
  const std::string k = key(name);
  for (const auto& [n, shape] : kShapes)
    if (k == n) return shape;
  return std::nullopt;
}

}  // namespace trainsim
