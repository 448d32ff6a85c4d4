#include "models/cost/run_cost.hpp"

#include "models/util/errors.hpp"

namespace trainsim {

CostSpec default_cost() {
  CostSpec c;
  c.cloud = default_cloud_pricing();
  c.on_prem = default_onprem_tco();
  return c;
}

void price_cost_from_catalog(CostSpec& c, const std::string& gpu, int gpus_per_node, const std::string& where) {
  // Only the model in use needs a price: an on-prem cluster of a GPU no cloud rents is fine.
  if (c.model == CostModel::Cloud)
    price_cloud_from_catalog(c.cloud, gpu, where + ".cloud");
  else
    price_nodes_from_catalog(c.on_prem, gpu, gpus_per_node, where + ".on_prem");
}

CostSpec parse_cost(const JsonReader& r) {
  r.reject_unknown({"model", "cloud", "on_prem", "roi"});
  CostSpec c = default_cost();
  if (auto m = r.opt_choice("model", {"cloud", "on_prem"}))
    c.model = *m == "on_prem" ? CostModel::OnPrem : CostModel::Cloud;
  if (auto cr = r.opt_object("cloud")) c.cloud = parse_cloud_pricing(*cr);
  if (auto orr = r.opt_object("on_prem")) c.on_prem = parse_onprem_tco(*orr);
  if (auto rr = r.opt_object("roi")) c.roi = parse_roi_inputs(*rr);
  return c;
}

RunCost run_cost(double cluster_usd_per_hour, double iteration_s, double iterations, double tokens_per_iteration) {
  if (cluster_usd_per_hour < 0 || iteration_s < 0 || iterations < 0 || tokens_per_iteration < 0)
    throw InternalError("run_cost: negative input");
  RunCost c;
  c.usd_per_iteration = cluster_usd_per_hour * iteration_s / 3600.0;
  c.usd_per_run = c.usd_per_iteration * iterations;
  c.usd_per_million_tokens = tokens_per_iteration > 0 ? c.usd_per_iteration / tokens_per_iteration * 1e6 : 0.0;
  return c;
}

double cloud_cluster_usd_per_hour(const CloudPricing& p, int gpus, int nodes, double checkpoint_interval_s) {
  return cloud_effective_usd_per_gpu_hour(p, nodes, checkpoint_interval_s) * gpus;
}

}  // namespace trainsim
