#pragma once
// size_cluster(): the "sizing the system" step of the PRIMEFLEX reference model — for each
// candidate cluster design (node type, fabric) and GPU type, the smallest GPU count whose best
// strategy trains the workload within the deadline, with its cost, energy and the storage
// bandwidth it needs (data loading at the achieved token rate, checkpoint writes).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sim/search/strategy_search.hpp"

namespace trainsim {

struct SizingDesign {
  std::string label;       ///< "<cluster name> / <gpu>"
  nlohmann::json cluster;  ///< the cluster object to size
};

struct SizingRow {
  std::string label, gpu, fabric;
  bool found = false;
  int gpus = 0;
  Strategy strategy;
  double iteration_time_s = 0, time_to_train_s = 0, cost_usd = 0, energy_kwh = 0;
  double data_loading_gb_per_s = 0;  ///< samples/s × bytes per sample (tokenised int32 ids)
  double checkpoint_gb_per_s = 0;    ///< write bandwidth for ≤ 2% checkpoint overhead (Daly 2006)
  int largest_tried = 0;             ///< when not found: the largest GPU count tried
};

struct SizingResult {
  double deadline_s = 0;
  std::vector<SizingRow> rows;
  std::optional<std::size_t> smallest, cheapest;  ///< indices into rows
};

/// `base_json`: a scenario with parts inlined; its workload must have train_tokens. GPU counts
/// tried: gpus_per_node × 2^k up to max_gpus; each confirmed with the analytic engine. `progress`:
/// the sizes tried on stderr (a terminal), after 1 s.
SizingResult size_cluster(const nlohmann::json& base_json, const std::string& origin, const std::string& base_dir,
                          const std::vector<SizingDesign>& designs, double deadline_s, int max_gpus,
                          bool progress = false);

/// Checkpoint write bandwidth (bytes/s) that keeps the checkpoint overhead at Daly's optimum at
/// most `overhead`: with interval τ ≈ √(2δM) the overhead δ/τ ≈ √(δ / 2M) (Daly, FGCS 2006), so
/// δ ≤ 2·M·overhead² and the bandwidth is state_bytes / δ.
double checkpoint_bandwidth_for_overhead(double state_bytes, double mtbf_s, double overhead);

nlohmann::json to_json(const SizingResult& r);

}  // namespace trainsim
