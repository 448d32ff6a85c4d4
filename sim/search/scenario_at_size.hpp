#pragma once
// scenario_at_size(): a scenario on another number of GPUs, for the capacity questions (`search
// --max-gpus`, `size`). The scenario's own strategy is a layout for its own cluster: tp x pp x cp
// of 128 cannot run on 8 GPUs, and dp = 1,024 exceeds a global batch of 512. At a size where it
// cannot run, the layout is re-planned from the strategy space (the search scores every layout
// anyway); the user's input is not wrong because one size of many cannot hold it.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "sim/scenario/scenario.hpp"

namespace trainsim {

struct SizedScenario {
  Scenario scenario;       ///< on the requested GPUs, with a resolved strategy
  bool replanned = false;  ///< the scenario's own layout could not run there and was replaced
};

/// `base_json` (parts inlined) with cluster.gpus = `gpus` (0: the cluster as it is). Its strategy
/// is kept when it resolves at that size; otherwise the first strategy of the default space that
/// does (same non-layout knobs) takes its place. nullopt: no strategy of the space runs the
/// workload on that many GPUs. Input errors outside the strategy (a bad cluster, a GPU count the
/// nodes do not divide) are thrown as before.
std::optional<SizedScenario> scenario_at_size(const nlohmann::json& base_json, int gpus, const std::string& origin,
                                              const std::string& base_dir);

}  // namespace trainsim
