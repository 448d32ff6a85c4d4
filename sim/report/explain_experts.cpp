#include "sim/report/explain_experts.hpp"

#include <fmt/format.h>

#include "models/util/human_units.hpp"
#include "models/workload/layer_kernels.hpp"
#include "sim/plan/planner.hpp"

namespace trainsim {

namespace {
bool starts(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
}  // namespace

ExpertExplanation explain_experts(const Scenario& sc, const Prediction& p, const OpCosts& costs, int stage) {
  ExpertExplanation x;
  const TransformerConfig& model = p.plan.model;
  const Strategy& s = p.plan.strategy;
  if (!model.moe) return x;
  const auto ranges = virtual_stage_layer_ranges(model.layers, s.pp * s.vp);
  int layer = -1;
  for (int c = 0; c < s.vp; ++c) {
    const auto [first, count] = ranges[c * s.pp + stage];
    for (int l = first; l < first + count; ++l)
      if (model.is_moe_layer(l)) {
        ++x.layers;
        if (layer < 0) layer = l;
      }
  }
  if (layer < 0) return x;
  x.present = true;
  x.dispatcher = to_string(s.moe_dispatcher);
  x.experts = model.moe->experts;
  x.top_k = model.moe->top_k;
  x.ep = s.ep;
  x.local_experts = std::max(1, x.experts / std::max(1, s.ep));
  x.load = model.moe->busiest_rank_load();
  p.plan.group_shape(GroupRole::EP, x.ep_ranks_per_node, x.ep_nodes);
  x.micro_batches = s.micro_batches();
  const LayerShard shard = layer_shard(s);
  double load_scaled = 0;  // seconds of the parts that scale with the busiest rank's load
  for (const auto& pass : {layer_forward(model, shard, layer), layer_backward(model, shard, layer)})
    for (const Kernel& k : pass) {
      const double t = costs.cost(std::vector<Kernel>{k}).total();
      const std::string& n = k.name;
      if (k.kind == KernelKind::Collective && k.group == GroupRole::EP) {
        x.exchange_s += t;
        load_scaled += t;
      } else if (starts(n, "moe_router")) {
        x.router_s += t;
      } else if (starts(n, "moe_permute") || starts(n, "moe_unpermute") || starts(n, "moe_sort") ||
                 starts(n, "moe_unsort")) {
        x.reorder_s += t;
        load_scaled += t;
      } else if (starts(n, "moe_expert")) {
        x.experts_s += t;
        load_scaled += t;
        x.expert_flops += k.flops;
      } else if (starts(n, "moe_shared")) {
        x.shared_s += t;
      } else if (starts(n, "swiglu") || starts(n, "gelu")) {
        x.activation_s += t;
      }
    }
  const double peak = sc.cluster.gpu.peak_flops(s.precision);
  if (x.experts_s > 0 && peak > 0) x.expert_efficiency = x.expert_flops / x.experts_s / peak;
  // The busiest rank carries `load` times the balanced share of the routed tokens.
  if (x.load > 1) x.imbalance_s = load_scaled * (x.load - 1) / x.load;
  x.per_iteration_s = x.layer_s() * x.layers * static_cast<double>(x.micro_batches);
  return x;
}

nlohmann::json to_json(const ExpertExplanation& x) {
  if (!x.present) return nullptr;
  return {{"dispatcher", x.dispatcher},
          {"experts", x.experts},
          {"top_k", x.top_k},
          {"ep", x.ep},
          {"local_experts", x.local_experts},
          {"ep_ranks_per_node", x.ep_ranks_per_node},
          {"ep_nodes", x.ep_nodes},
          {"load", x.load},
          {"per_layer_per_micro_batch_s",
           {{"router", x.router_s},
            {"reorder", x.reorder_s},
            {"exchange", x.exchange_s},
            {"experts", x.experts_s},
            {"shared_experts", x.shared_s},
            {"activation", x.activation_s},
            {"imbalance", x.imbalance_s}}},
          {"expert_efficiency", x.expert_efficiency},
          {"layers", x.layers},
          {"micro_batches", x.micro_batches},
          {"per_iteration_s", x.per_iteration_s}};
}

void print_experts_text(const ExpertExplanation& x, double iteration_s, std::ostream& out) {
  if (!x.present) return;
  const std::string link = x.ep <= 1         ? "no exchange (ep 1)"
                           : x.ep_nodes <= 1 ? fmt::format("{} ranks inside a node (NVLink)", x.ep)
                                             : fmt::format("{} ranks over {} nodes (the fabric)", x.ep, x.ep_nodes);
  out << fmt::format("\nExperts (one MoE layer, one rank, one micro-batch, forward + backward):\n");
  out << fmt::format("  {} experts, top-{}, {} local per rank; ep {}: {}; {} dispatcher\n", x.experts, x.top_k,
                     x.local_experts, x.ep, link, x.dispatcher);
  const double L = x.layer_s();
  auto row = [&](const std::string& what, double t, const std::string& note) {
    if (t <= 0) return;
    out << fmt::format("  {:<40}{:>12}  {:>6}{}\n", what, human_seconds(t), fmt::format("{:.1f}%", 100 * t / L),
                       note.empty() ? "" : "  " + note);
  };
  row("router", x.router_s, "");
  row("token reorders (permute, sort, unpermute)", x.reorder_s, "memory-bound");
  row(x.dispatcher == "allgather" ? "dispatch + combine (all-gather, reduce-scatter)"
                                  : "dispatch + combine (all-to-all)",
      x.exchange_s, "on the critical path (not overlapped with compute)");
  row("routed experts (grouped products)", x.experts_s,
      fmt::format("{:.0f}% of the dense peak", 100 * x.expert_efficiency));
  row("shared experts", x.shared_s, "");
  row("expert activation", x.activation_s, "");
  if (x.imbalance_s > 0)
    out << fmt::format("  of which load imbalance: {} (the busiest rank takes {:.2f}x the balanced tokens)\n",
                       human_seconds(x.imbalance_s), x.load);
  out << fmt::format(
      "  per iteration: {} MoE layers x {} micro-batches on this stage = {} ({:.1f}% of the iteration)\n", x.layers,
      x.micro_batches, human_seconds(x.per_iteration_s), iteration_s > 0 ? 100 * x.per_iteration_s / iteration_s : 0.0);
}

}  // namespace trainsim
