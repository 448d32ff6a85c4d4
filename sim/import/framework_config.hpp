#pragma once
// Importers: the configuration a team is about to launch, turned into a scenario's parts (issue
// #21 item 6), so it can be predicted before it burns GPU hours. Each maps the options that
// decide the time (model shape, parallel layout, batch, precision, recomputation, overlaps) and
// lists the ones it read but did not map; a value it cannot read (a shell variable left in a
// launch script) is an input error naming the option.
//  - Megatron-LM / Megatron-Core argument lists (a launch script or its arguments):
//    megatron/training/arguments.py names.
//  - DeepSpeed JSON configs (deepspeed.ai/docs/config-json): batch, ZeRO stage, offload,
//    precision; the model shape comes from a workload file.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace trainsim {

struct ImportedConfig {
  nlohmann::json model;               ///< the model part of a workload (null: the config has no model shape)
  nlohmann::json workload;            ///< global_batch and train_tokens when the config has them
  nlohmann::json strategy;            ///< strategy fields (docs/scenarios.md names)
  std::vector<std::string> unmapped;  ///< options read but not mapped (no effect on the prediction here)
  std::vector<std::string> notes;     ///< what was inferred, and why
};

/// A Megatron-LM launch script or argument list (`--name value`, flags, `\` continuations,
/// comments). `origin` names the file in errors.
ImportedConfig import_megatron_args(const std::string& text, const std::string& origin);

/// A DeepSpeed config JSON.
ImportedConfig import_deepspeed_config(const nlohmann::json& config, const std::string& origin);

/// The scenario: `cluster` (a path or object), the workload (the imported model with its batch, or
/// `workload_file` when given or the config has no model), the imported strategy.
nlohmann::json imported_scenario(const ImportedConfig& c, const std::string& name, const nlohmann::json& cluster,
                                 const std::string& workload_file);

}  // namespace trainsim
