#pragma once
// trainsim explain on a mixture-of-experts scenario: where one MoE layer's time goes on one rank
// of the busiest stage (router, token reorders, dispatch/combine and the link they cross, the
// grouped expert products and their efficiency, shared experts, load imbalance), from the same
// layer kernels and OpCosts the engines use (models/workload/layer_kernels.cpp).
#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

#include "sim/cost/op_costs.hpp"
#include "sim/evaluate/predict.hpp"

namespace trainsim {

struct ExpertExplanation {
  bool present = false;  ///< the stage holds MoE layers
  std::string dispatcher;
  int experts = 0, top_k = 0, ep = 1, local_experts = 0;
  int ep_ranks_per_node = 1, ep_nodes = 1;  ///< the EP group on the cluster
  double load = 1;                          ///< the busiest rank's load (MoeConfig::busiest_rank_load)
  /// Seconds on one rank for one micro-batch through one MoE layer, forward + backward.
  double router_s = 0, reorder_s = 0, exchange_s = 0, experts_s = 0, shared_s = 0, activation_s = 0;
  double expert_flops = 0;       ///< the routed experts' products, forward + backward
  double expert_efficiency = 0;  ///< their achieved FLOP/s over the GPU's dense peak
  double imbalance_s = 0;        ///< what the busiest rank's extra tokens cost (experts, reorders, exchange)
  int layers = 0;                ///< MoE layers on the stage (all chunks)
  std::int64_t micro_batches = 0;
  double per_iteration_s = 0;  ///< the parts above x layers x micro-batches
  double layer_s() const { return router_s + reorder_s + exchange_s + experts_s + shared_s + activation_s; }
};

/// The experts of pipeline stage `stage` (present = false for a dense model or stage).
ExpertExplanation explain_experts(const Scenario& sc, const Prediction& p, const OpCosts& costs, int stage);

nlohmann::json to_json(const ExpertExplanation& x);
void print_experts_text(const ExpertExplanation& x, double iteration_s, std::ostream& out);

}  // namespace trainsim
