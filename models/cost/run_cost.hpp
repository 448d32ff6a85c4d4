#pragma once
// Cost of an iteration, a training run and a million tokens from a cluster's USD per hour.
// Also the "cost" object of a cluster, which picks cloud or on-premises pricing.
#include <optional>

#include "models/cost/cloud_pricing.hpp"
#include "models/cost/onprem_tco.hpp"
#include "models/cost/roi.hpp"
#include "models/util/json_reader.hpp"

namespace trainsim {

enum class CostModel { Cloud, OnPrem };

struct CostSpec {
  CostModel model = CostModel::Cloud;
  CloudPricing cloud;
  OnPremTco on_prem;
  std::optional<RoiInputs> roi;  ///< present when the scenario asks for an ROI analysis
};

/// Reads the cluster's "cost" object: model ("cloud" | "on_prem", default "cloud"), "cloud"
/// (parse_cloud_pricing), "on_prem" (parse_onprem_tco), "roi" (parse_roi_inputs); all optional.
/// Prices are not filled (price_cost_from_catalog does, once the GPU is known).
CostSpec parse_cost(const JsonReader& r);
/// The defaults of a cluster without a cost part (cloud, the catalog's offer).
CostSpec default_cost();
/// Fills the price the cost model uses and did not state, from the price catalog for the
/// cluster's GPU (the cloud offer, or the server price scaled to `gpus_per_node`).
void price_cost_from_catalog(CostSpec& c, const std::string& gpu, int gpus_per_node, const std::string& where);

struct RunCost {
  double usd_per_iteration = 0;
  double usd_per_run = 0;
  double usd_per_million_tokens = 0;
};

/// usd_per_iteration = usd_per_hour x iteration_s / 3600; usd_per_run = x iterations;
/// per million tokens = usd_per_iteration / tokens_per_iteration x 1e6.
RunCost run_cost(double cluster_usd_per_hour, double iteration_s, double iterations, double tokens_per_iteration);

/// USD per wall-clock hour of a cloud job of `gpus` GPUs on `nodes` nodes (effective price, spot
/// preemptions included).
double cloud_cluster_usd_per_hour(const CloudPricing& p, int gpus, int nodes, double checkpoint_interval_s);

}  // namespace trainsim
