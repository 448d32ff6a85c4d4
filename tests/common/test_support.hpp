#pragma once
// Small scenario builders shared by the plan/engine tests.
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "sim/scenario/scenario.hpp"

namespace trainsim::testing {

inline nlohmann::json small_cluster(int nodes = 2, int gpn = 8, const char* gpu = "A100-SXM4-80GB") {
  return {{"gpu", gpu}, {"nodes", nodes}, {"gpus_per_node", gpn}, {"nics_per_node", gpn}, {"nic_gbps", 200}};
}
inline nlohmann::json small_gpt(int layers = 8, int hidden = 1024, int heads = 16) {
  return {{"layers", layers}, {"hidden", hidden}, {"heads", heads}, {"vocab", 51200}, {"seq_len", 1024}};
}
inline Scenario make_scenario(nlohmann::json strategy, nlohmann::json cluster = small_cluster(),
                              nlohmann::json model = small_gpt(), int global_batch = 64) {
  nlohmann::json j = {
      {"cluster", cluster}, {"workload", {{"model", model}, {"global_batch", global_batch}}}, {"strategy", strategy}};
  return parse_scenario(j, "<test>", ".");
}

/// The message of the InputError `f` throws, or "" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace trainsim::testing
