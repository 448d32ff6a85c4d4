#include "sim/search/sizing.hpp"

#include <cmath>
#include <memory>

#include "models/util/errors.hpp"
#include "models/util/progress.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/search/scenario_at_size.hpp"
#include "sim/search/sweep_spec.hpp"

namespace trainsim {

double checkpoint_bandwidth_for_overhead(double state_bytes, double mtbf_s, double overhead) {
  if (!std::isfinite(mtbf_s) || mtbf_s <= 0 || overhead <= 0) return 0.0;
  const double delta = 2.0 * mtbf_s * overhead * overhead;
  return state_bytes / delta;
}

SizingResult size_cluster(const nlohmann::json& base_json, const std::string& origin, const std::string& base_dir,
                          const std::vector<SizingDesign>& designs, double deadline_s, int max_gpus, bool progress) {
  SizingResult res;
  res.deadline_s = deadline_s;
  std::unique_ptr<ProgressBar> bar;
  if (progress) bar = std::make_unique<ProgressBar>(designs.size(), stderr, true, "size:", "designs", 1.0);
  for (const auto& d : designs) {
    if (bar) bar->tick();
    nlohmann::json params;
    params["cluster"] = d.cluster;
    const nlohmann::json design_json =
        apply_overrides(base_json, params, origin + ": sizing design " + d.label, base_dir);
    const Scenario sc0 = parse_scenario_unresolved(design_json, origin, base_dir);  // layouts re-planned per size
    if (sc0.workload.train_tokens <= 0)
      throw InputError(origin + ": $.workload.train_tokens", "a token budget to size a cluster for", "none");
    SizingRow row;
    row.label = d.label;
    row.gpu = sc0.cluster.gpu.name;
    row.fabric = d.cluster.value("name", "");
    const int gpn = sc0.cluster.gpus_per_node;
    for (int g = gpn; g <= max_gpus; g *= 2) {
      row.largest_tried = g;
      SearchOptions opt;
      opt.objective = Objective::Time;
      opt.gpu_counts = {g};
      opt.deadline_s = deadline_s;
      opt.top_k = 1;
      opt.confirm_engine = "analytic";
      const SearchResult r = search_strategies(design_json, origin, base_dir, opt);
      if (!r.best || r.best->time_s > deadline_s) continue;
      const Candidate& c = *r.best;
      Scenario sc = scenario_at_size(design_json, g, origin, base_dir)->scenario;  // the best ran there
      sc.strategy = c.strategy;
      const Prediction p = predict(sc, "analytic");
      const auto& ec = p.metrics.energy_cost;
      row.found = true;
      row.gpus = g;
      row.strategy = c.strategy;
      row.iteration_time_s = p.metrics.iteration_time_s;
      row.time_to_train_s = c.time_s;
      row.cost_usd = c.cost_usd;
      row.energy_kwh = c.energy_kwh;
      row.data_loading_gb_per_s = ec.storage.bytes_per_iteration / ec.storage.iteration_time_with_io_s / 1e9;
      row.checkpoint_gb_per_s =
          checkpoint_bandwidth_for_overhead(ec.reliability.state_bytes, ec.reliability.job_mtbf_s, 0.02) / 1e9;
      break;
    }
    res.rows.push_back(row);
  }
  if (bar) bar->finish();
  for (std::size_t i = 0; i < res.rows.size(); ++i) {
    const auto& r = res.rows[i];
    if (!r.found) continue;
    if (!res.smallest || r.gpus < res.rows[*res.smallest].gpus) res.smallest = i;
    if (!res.cheapest || r.cost_usd < res.rows[*res.cheapest].cost_usd) res.cheapest = i;
  }
  return res;
}

nlohmann::json to_json(const SizingResult& r) {
  nlohmann::json j;
  j["deadline_s"] = r.deadline_s;
  j["designs"] = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json x;
    x["design"] = row.label;
    x["gpu"] = row.gpu;
    x["found"] = row.found;
    if (row.found) {
      x["gpus"] = row.gpus;
      x["strategy"] = describe_strategy(row.strategy);
      x["iteration_time_s"] = row.iteration_time_s;
      x["time_to_train_s"] = row.time_to_train_s;
      x["time_to_train_days"] = row.time_to_train_s / 86400.0;
      x["cost_usd"] = row.cost_usd;
      x["energy_kwh"] = row.energy_kwh;
      x["storage"] = {{"data_loading_gb_per_s", row.data_loading_gb_per_s},
                      {"checkpoint_write_gb_per_s", row.checkpoint_gb_per_s}};
    } else {
      x["largest_tried"] = row.largest_tried;
    }
    j["designs"].push_back(x);
  }
  j["smallest"] = r.smallest ? nlohmann::json(r.rows[*r.smallest].label) : nlohmann::json(nullptr);
  j["cheapest"] = r.cheapest ? nlohmann::json(r.rows[*r.cheapest].label) : nlohmann::json(nullptr);
  return j;
}

}  // namespace trainsim
