#pragma once
// Scenario: cluster + workload + strategy + options, loaded from JSON. Each part is an inline
// object or a path to a JSON file (resolved next to the scenario, then under the scenarios/
// folder that contains it). Every error names the file and JSON path. See docs/scenarios.md.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "sim/plan/strategy.hpp"
#include "sim/scenario/framework.hpp"
#include "topologies/cluster_spec.hpp"

namespace trainsim {

struct Workload {
  std::string name;
  TransformerConfig model;
  std::int64_t global_batch = 0;  ///< sequences per iteration
  double train_tokens = 0;        ///< token budget of the whole training run (0 = not given)
};

struct Options {
  std::string engine = "analytic";
  std::optional<std::string> profile;  ///< calibration profile (trainsim calibrate) to use
  double memory_overhead_bytes = 2e9;  ///< CUDA context, NCCL/cuBLAS buffers, fragmentation
  /// SimGrid engine with storage on the fabric: also write one checkpoint (weights + optimizer
  /// state) to the storage servers during the iteration (`trainsim run --checkpoint-in-iteration`).
  bool checkpoint_in_iteration = false;
};

struct Scenario {
  std::string name;
  std::string origin;  ///< file it came from ("<inline>" otherwise)
  ClusterSpec cluster;
  Workload workload;
  Strategy strategy;
  Options options;
  nlohmann::json cluster_json;  ///< the cluster object as read (for power, cost, storage sections)
  /// The software stack the strategy resolved through (the scenario's `framework` part), which
  /// rule chose it from the catalog, and the knobs it filled.
  std::optional<FrameworkProfile> framework;
  std::string framework_choice;
  std::vector<std::string> framework_fills;
  /// File and JSON path of the strategy part, for errors about it ("a.json: $.strategy").
  std::string strategy_where;
};

Workload parse_workload(const JsonReader& r);

/// Loads and validates a scenario file. Throws InputError naming the path on any problem.
Scenario load_scenario(const std::string& file);
/// Same from an already parsed object; `base_dir` resolves part paths.
Scenario parse_scenario(const nlohmann::json& j, const std::string& origin, const std::string& base_dir);

/// parse_scenario without checking the strategy against the model and the cluster's size (left to
/// resolve_scenario_strategy): search and size re-plan the layout for every cluster size they try.
Scenario parse_scenario_unresolved(const nlohmann::json& j, const std::string& origin, const std::string& base_dir);
/// resolve_strategy on the scenario's model and cluster, then the layout rules of its framework
/// (uneven virtual stages); errors name the scenario's file and path.
void resolve_scenario_strategy(const Scenario& sc, Strategy& s);

/// The scenario object with its cluster, workload and strategy parts inlined (paths resolved as
/// parse_scenario does), so fields can be overridden before parsing (trainsim sweep / search).
nlohmann::json inline_scenario_parts(const nlohmann::json& j, const std::string& origin, const std::string& base_dir);

/// Fills derived strategy fields (dp from the GPU count, global batch from the workload) and checks
/// that the strategy fits the model and cluster; errors name `where` + ".strategy.<field>".
void resolve_strategy(Strategy& s, const TransformerConfig& m, std::int64_t workload_global_batch, int gpus,
                      const std::string& where);

}  // namespace trainsim
