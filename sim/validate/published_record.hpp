#pragma once
// PublishedRecord: one line of a published-runs file (schema: validation/SCHEMA.md, copied from
// shared/validation). Fields the source does not state are std::nullopt. The loader is strict on
// types and value ranges (errors name the line and JSON path) and tolerant of keys it does not
// know, so that files that gain fields stay readable.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sim/scenario/framework.hpp"

namespace trainsim {

struct PublishedMoe {
  std::optional<int> experts, top_k, shared_experts, moe_layers;
  std::optional<std::int64_t> expert_ffn;
  std::optional<double> capacity_factor;  ///< null: dropless
};

struct PublishedRecord {
  std::string id, kind, source, locator, notes;
  std::string scope;  ///< what an energy or power figure covers (GPUs only, whole node, facility with PUE)
  std::optional<FrameworkRef> framework;  ///< the training software as the source states it
  // model
  std::optional<std::string> model_name, activation;
  std::optional<std::string> attention_kind;  ///< model.attention: mha, gqa, mla, sliding-window
  std::optional<int> layers, heads, kv_heads, dense_layers;
  std::optional<std::int64_t> head_dim;
  /// model.lora (this project's extension of the schema, validation/SCHEMA.md): the run fine-tuned
  /// LoRA adapters on a frozen base; passed to the scenario's model as it is.
  std::optional<nlohmann::json> lora;
  std::optional<std::int64_t> hidden, ffn, vocab, seq_len;
  std::optional<PublishedMoe> moe;
  std::optional<double> params_b;
  // system
  std::optional<std::string> gpu, intra_node, fabric, cluster;
  std::optional<int> gpus, gpus_per_node, nics_per_node;
  std::optional<double> nic_gbps;
  // strategy
  std::optional<int> tp, pp, dp, cp, ep, etp, vp, zero;
  std::optional<bool> sequence_parallel, distributed_optimizer;
  std::optional<bool> overlap_grad_reduce, overlap_param_gather, tp_comm_overlap;
  std::optional<std::string> recompute, schedule;
  std::optional<std::int64_t> micro_batch, global_batch;
  std::optional<std::string> precision;
  // measured
  std::string metric;
  double value = 0;
  nlohmann::json others;
};

/// Reads a JSON-lines file; blank lines are skipped. Errors name "file:line: $.path".
std::vector<PublishedRecord> load_published_records(const std::string& file);
/// Parses one record (origin names it in errors).
PublishedRecord parse_published_record(const nlohmann::json& j, const std::string& origin);

}  // namespace trainsim
