#include "sim/search/scenario_at_size.hpp"

#include "models/util/errors.hpp"
#include "sim/search/strategy_space.hpp"
#include "sim/search/sweep_spec.hpp"

namespace trainsim {

std::optional<SizedScenario> scenario_at_size(const nlohmann::json& base_json, int gpus, const std::string& origin,
                                              const std::string& base_dir) {
  nlohmann::json sized = base_json;
  if (gpus > 0) {
    nlohmann::json params;
    params["cluster.gpus"] = gpus;
    sized = apply_overrides(base_json, params, origin + ": " + std::to_string(gpus) + " GPUs", base_dir);
  }
  SizedScenario out{parse_scenario_unresolved(sized, origin, base_dir), false};
  Scenario& sc = out.scenario;
  try {
    resolve_scenario_strategy(sc, sc.strategy);
    return out;
  } catch (const InputError&) {
    // The scenario's layout does not run at this size: re-planned below.
  }
  const TransformerConfig& m = sc.workload.model;
  const std::int64_t batch = sc.strategy.global_batch > 0 ? sc.strategy.global_batch : sc.workload.global_batch;
  std::optional<Strategy> first;
  enumerate_strategies(default_space(m, sc.cluster.gpus_per_node), m, sc.strategy, sc.cluster.job_gpus(), batch,
                       [&](const Strategy& candidate) {
                         if (first) return;
                         Strategy s = candidate;
                         try {
                           resolve_scenario_strategy(sc, s);
                           first = s;
                         } catch (const InputError&) {
                         }
                       });
  if (!first) return std::nullopt;
  sc.strategy = *first;
  out.replanned = true;
  return out;
}

}  // namespace trainsim
