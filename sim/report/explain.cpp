#include "sim/report/explain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "sim/cost/sm_contention.hpp"
#include "sim/cost/stragglers.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/plan/pipeline_schedule.hpp"
#include "sim/plan/planner.hpp"
#include "sim/report/report.hpp"

namespace trainsim {

BubbleExplanation bubble_formula(ScheduleKind kind, int p, int m, int v) {
  BubbleExplanation b;
  b.stages = p;
  b.micro_batches = m;
  b.chunks = kind == ScheduleKind::Interleaved1F1B ? v : 1;
  b.schedule = to_string(kind);
  const int vv = b.chunks;
  if (kind == ScheduleKind::Interleaved1F1B) {
    b.formula = "(p-1)/(v*m+p-1)";
    b.filled = fmt::format("({}-1)/({}*{}+{}-1) = {}/{}", p, vv, m, p, p - 1, vv * m + p - 1);
  } else {
    b.formula = "(p-1)/(m+p-1)";
    b.filled = fmt::format("({}-1)/({}+{}-1) = {}/{}", p, m, p, p - 1, m + p - 1);
  }
  b.fraction = static_cast<double>(p - 1) / (static_cast<double>(vv) * m + p - 1);
  b.of_ideal = bubble_fraction(p, m, vv);
  return b;
}

namespace {

bool near(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b)) + 1e-9; }

std::string where_of(const Op& op) {
  if (op.kind == OpKind::Send) return "pipeline send (as many receives)";
  if (op.phase == Phase::GradSync)
    return op.group == GroupRole::Embedding ? "tied-embedding gradients" : "gradient sync";
  if (op.phase == Phase::ParamSync) return "parameter gather";
  return to_string(op.phase);
}

}  // namespace

std::vector<CommVolume> communication_volumes(const Plan& plan, const OpCosts& costs, int stage) {
  const auto& s = plan.strategy;
  const auto& prog = plan.programs.at(stage);
  struct Acc {
    CommVolume v;
    GroupRole role = GroupRole::None;
    bool inline_ = false;
    std::map<double, std::int64_t> sizes;
    std::map<std::string, std::int64_t> algorithms;
  };
  // Keyed by (inline?, group, kind, where) in first-seen order.
  std::vector<Acc> accs;
  auto acc = [&](bool inl, GroupRole role, const std::string& kind, const std::string& where) -> Acc& {
    for (auto& a : accs)
      if (a.inline_ == inl && a.role == role && a.v.kind == kind && a.v.where == where) return a;
    Acc a;
    a.inline_ = inl;
    a.role = role;
    a.v.group = to_string(role);
    a.v.kind = kind;
    a.v.where = where;
    a.v.group_size = plan.group_size(role);
    plan.group_shape(role, a.v.ranks_per_node, a.v.nodes);
    accs.push_back(std::move(a));
    return accs.back();
  };
  // Every op's wire bytes are those of the algorithm the cost model runs it with.
  auto add = [](Acc& a, double bytes, double wire, const char* algorithm) {
    ++a.v.count;
    a.v.bytes += bytes;
    a.v.wire_bytes += wire;
    ++a.sizes[bytes];
    if (algorithm) ++a.algorithms[algorithm];
  };
  auto collective = [&](bool inl, GroupRole role, CollectiveKind kind, double bytes, const std::string& where) {
    const CollectiveCost c = costs.collective_cost(kind, bytes, role);
    add(acc(inl, role, to_string(kind), where), bytes, c.traffic.sent_bytes, to_string(c.algorithm));
  };
  for (const auto& op : prog.ops) {
    if (op.kind == OpKind::Compute) {
      for (const auto& k : plan.blocks[op.block].kernels)
        if (k.kind == KernelKind::Collective && k.coll_bytes > 0)
          collective(true, k.group, k.collective, k.coll_bytes, "inline in compute blocks");
    } else if (op.kind == OpKind::Collective) {
      collective(false, op.group, op.collective, op.bytes, where_of(op));
    } else if (op.kind == OpKind::Send) {
      add(acc(false, GroupRole::PP, "send", where_of(op)), op.bytes, op.bytes, nullptr);
    }
  }
  const double layers = stage_layers(plan.model, s, stage);
  const double m = static_cast<double>(s.micro_batches());
  const double eb = activation_bytes(s.precision);
  const double T = static_cast<double>(s.micro_batch) * plan.model.seq_len / s.cp;
  const double h = static_cast<double>(plan.model.hidden);
  std::vector<CommVolume> out;
  for (auto& a : accs) {
    auto& v = a.v;
    if (v.kind == "send") {
      v.group_size = 2;  // point to point
      int rpn = 1, nodes = 1;
      plan.group_shape(GroupRole::PP, rpn, nodes);
      v.ranks_per_node = rpn;
      v.nodes = nodes;
    }
    std::int64_t most = 0;
    for (const auto& [name, n] : a.algorithms)
      if (n > most) most = n, v.algorithm = name;
    for (const auto& [sz, n] : a.sizes)
      if (n > v.typical_op_count) v.typical_op_count = n, v.typical_op_bytes = sz;
    if (a.inline_ && layers > 0 && m > 0) v.per_layer_per_micro_batch = v.typical_op_count / (layers * m);
    const double sz = v.typical_op_bytes;
    if (a.inline_ && a.role == GroupRole::TP && near(sz, T * h * eb))
      v.size_formula = fmt::format("b*s*h*bytes = {}*{}*{}*{} B{}", s.micro_batch, plan.model.seq_len / s.cp,
                                   plan.model.hidden, eb, s.cp > 1 ? " (s per CP rank)" : "");
    else if (v.kind == "send" && near(sz, T * h * eb / (s.scatter_gather_p2p ? s.tp : 1)))
      v.size_formula = s.scatter_gather_p2p && s.tp > 1
                           ? fmt::format("b*s*h*bytes/tp = {}*{}*{}*{}/{} B (scatter-gather over TP)", s.micro_batch,
                                         plan.model.seq_len / s.cp, plan.model.hidden, eb, s.tp)
                           : fmt::format("b*s*h*bytes = {}*{}*{}*{} B", s.micro_batch, plan.model.seq_len / s.cp,
                                         plan.model.hidden, eb);
    else if (v.group == "dp" && v.where == "gradient sync" && v.count == 1 &&
             near(sz, plan.params_per_rank_by_stage[stage] * gradient_bytes(s)))
      v.size_formula = fmt::format("parameters on the rank x gradient bytes = {:.4g} x {} B",
                                   plan.params_per_rank_by_stage[stage], gradient_bytes(s));
    else if (v.group == "dp" && v.where == "parameter gather" && v.count == 1 &&
             near(sz, plan.params_per_rank_by_stage[stage] * weight_bytes(s)))
      v.size_formula = fmt::format("parameters on the rank x weight bytes = {:.4g} x {} B",
                                   plan.params_per_rank_by_stage[stage], weight_bytes(s));
    out.push_back(v);
  }
  return out;
}

namespace {

MemoryReport memory_with(const Scenario& sc, const Plan& plan, Recompute r, int zero = -1) {
  Plan light;  // memory_report reads the model, strategy and per-stage parameters only
  light.model = plan.model;
  light.strategy = plan.strategy;
  light.strategy.recompute = r;
  if (zero >= 0) light.strategy.zero = zero;
  light.params_per_rank_by_stage = plan.params_per_rank_by_stage;
  light.gpus_per_node = plan.gpus_per_node;
  return memory_report(sc, light);
}

std::string human_flops(double f) {
  if (f >= 1e18) return fmt::format("{:.2f} EFLOP", f / 1e18);
  if (f >= 1e15) return fmt::format("{:.2f} PFLOP", f / 1e15);
  if (f >= 1e12) return fmt::format("{:.2f} TFLOP", f / 1e12);
  return fmt::format("{:.3g} GFLOP", f / 1e9);
}

std::string pct(double x) { return fmt::format("{:.1f}%", 100 * x); }

/// What the slow GPUs and degraded NICs cost: the same engine on the same Plan without them
/// (sim/cost/stragglers.hpp for the rule), and which is the worst.
void explain_stragglers(const Scenario& sc, const Prediction& p, Explanation& e) {
  const ClusterSpec& c = sc.cluster;
  const int world = p.plan.world();
  const SlowGpu* worst = nullptr;
  for (const auto& g : c.slow_gpus) {
    if (rank_on_gpu(c, world, g.gpu) < 0) continue;
    ++e.slow_gpus;
    if (!worst || g.clock < worst->clock) worst = &g;
  }
  const DegradedNic* weakest = nullptr;
  for (const auto& d : c.degraded_nics)
    if (!weakest || d.bandwidth_fraction < weakest->bandwidth_fraction) weakest = &d;
  e.degraded_nics = static_cast<int>(c.degraded_nics.size());
  if (e.slow_gpus == 0 && e.degraded_nics == 0) return;
  if (worst) {
    const int rank = rank_on_gpu(c, world, worst->gpu);
    const RankCoord rc = p.plan.coord(rank);
    e.slowest_gpu = fmt::format("GPU {} at {:.0f}% clock (rank {}: stage {}, data-parallel replica {}{})", worst->gpu,
                                100 * worst->clock, rank, rc.pp, rc.dp,
                                p.plan.strategy.tp * p.plan.strategy.cp > 1
                                    ? fmt::format(", its tensor x context group of {} waits for it in every layer",
                                                  p.plan.strategy.tp * p.plan.strategy.cp)
                                    : "");
  }
  if (weakest) {  // named as the cluster file names it: a server (tray) and its NIC
    const int tray_nics = std::max(1, c.nics_per_node / std::max(1, c.trays_per_node));
    e.weakest_nic =
        fmt::format("NIC {} of node {} at {:.0f}% of its rate", weakest->nic % tray_nics,
                    weakest->node * c.trays_per_node + weakest->nic / tray_nics, 100 * weakest->bandwidth_fraction);
  }
  Scenario healthy = sc;
  healthy.cluster.slow_gpus.clear();
  healthy.cluster.degraded_nics.clear();
  e.healthy_iteration_time_s = engine_registry().at(p.metrics.engine)(healthy, p.plan, {}).iteration_time;
}

void add_hints(const Scenario& sc, const Prediction& p, Explanation& e) {
  const auto& s = p.plan.strategy;
  const auto& b = p.metrics.breakdown;
  const double T = p.metrics.iteration_time_s;
  if (T <= 0) return;
  struct Hint {
    double weight;
    std::string text;
  };
  std::vector<Hint> hints;
  if (!e.memory_fits) {
    std::string fix;
    for (const char* mode : {"selective", "full"})
      if (e.recompute.fits.count(mode) && e.recompute.fits.at(mode) && e.recompute.mode != mode &&
          !(e.recompute.mode == "full")) {
        fix = fmt::format(" Setting strategy.recompute = \"{}\" brings it to {} per GPU, which fits.", mode,
                          human_bytes(e.recompute.total_bytes.at(mode)));
        break;
      }
    for (int z = s.zero + 1; fix.empty() && z <= 3 && s.dp * s.cp > 1; ++z) {
      const MemoryReport mr = memory_with(sc, p.plan, s.recompute, z);
      if (mr.fits)
        fix = fmt::format(" ZeRO stage {} (strategy.zero = {}{}) brings it to {} per GPU, which fits.", z, z,
                          z == 3   ? ": FSDP, parameters gathered per layer"
                          : z == 2 ? ": optimizer and gradients sharded"
                                   : ": optimizer state sharded",
                          human_bytes(mr.parts.total()));
    }
    if (fix.empty()) fix = " More tensor or pipeline parallelism (fewer parameters per GPU) is needed.";
    hints.push_back({1e9, fmt::format("Memory does not fit: {} needed per GPU, {} available.{}",
                                      human_bytes(e.memory_total_bytes), human_bytes(e.memory_capacity_bytes), fix)});
  }
  const double bub = b.pipeline_bubble / T;
  if (s.pp > 1 && bub > 0.10) {
    const int m = static_cast<int>(s.micro_batches());
    std::string text = fmt::format("The pipeline bubble costs {} of the iteration ({} by the formula).", pct(bub),
                                   pct(e.bubble.fraction));
    const auto more = bubble_formula(s.schedule, s.pp, 2 * m, s.vp);
    text += fmt::format(" Twice the micro-batches (m = {}: a smaller micro_batch or a larger global batch) gives {}.",
                        2 * m, pct(more.fraction));
    // Interleaving: the smallest vp >= 2 that Megatron-LM can run (pipeline_obstacle, even split).
    int vp = 0;
    for (int v = 2; s.schedule != ScheduleKind::Interleaved1F1B && v * s.pp <= p.plan.model.layers; ++v)
      if (pipeline_fits(p.plan.model.layers, s.pp, v, m, /*even=*/true)) {
        vp = v;
        break;
      }
    if (vp > 0) {
      const auto inter = bubble_formula(ScheduleKind::Interleaved1F1B, s.pp, m, vp);
      text += fmt::format(
          " Interleaving (vp = {}, schedule interleaved-1f1b) gives {}, for {} times the pipeline messages.", vp,
          pct(inter.fraction), vp);
    }
    hints.push_back({b.pipeline_bubble, text});
  }
  const double dpx = b.dp_comm_exposed / T;
  if (dpx > 0.03) {
    std::string text =
        fmt::format("Data-parallel communication is exposed for {} ({}).", human_seconds(b.dp_comm_exposed), pct(dpx));
    if (!s.overlap_grad_reduce && s.zero < 3)
      text += " Set strategy.overlap_grad_reduce = true to reduce gradients while the backward pass still runs";
    else
      text += " It is already overlapped where the schedule allows; larger buckets, fewer DP ranks across slow links";
    if (s.zero >= 1 && !s.overlap_param_gather) text += " (and overlap_param_gather for the parameter all-gather)";
    text += ".";
    hints.push_back({b.dp_comm_exposed, text});
  }
  // MoE: an exchange-bound expert layer under the all-to-all dispatcher.
  const auto& x = e.experts;
  if (x.present && x.ep > 1 && x.top_k > 1 && s.moe_dispatcher == MoeDispatcher::AllToAll &&
      x.exchange_s > 0.3 * x.layer_s()) {
    const double ep = x.ep, ranks = ep * (1.0 - std::pow(1.0 - 1.0 / ep, x.top_k));
    const double cost = x.exchange_s * x.layers * static_cast<double>(x.micro_batches);
    hints.push_back({cost * (1.0 - ranks / x.top_k),
                     fmt::format("The expert all-to-alls take {} of each MoE layer ({} per iteration on this stage). "
                                 "A flex dispatcher (strategy.moe_dispatcher = \"deepep\" or \"hybridep\") sends a "
                                 "token once per rank holding its experts, {:.2f} copies instead of {} here; fewer "
                                 "expert-parallel ranks across nodes shorten the slow part of the exchange.",
                                 pct(x.exchange_s / x.layer_s()), human_seconds(cost), ranks, x.top_k)});
  }
  const double tpx = b.tp_comm_exposed / T;
  if (s.tp > 1 && tpx > 0.10) {
    std::string text = fmt::format("Tensor-parallel collectives take {} ({}) on the critical path.",
                                   human_seconds(b.tp_comm_exposed), pct(tpx));
    if (s.tp > sc.cluster.gpus_per_node)
      text += fmt::format(
          " tp = {} spans more than a node ({} GPUs): keep tp <= {} and use pipeline parallelism across nodes.", s.tp,
          sc.cluster.gpus_per_node, sc.cluster.gpus_per_node);
    else
      text += fmt::format(" A smaller tp (e.g. {}) with more pipeline or data parallelism moves fewer bytes per token.",
                          std::max(1, s.tp / 2));
    hints.push_back({b.tp_comm_exposed, text});
  }
  if (s.recompute != Recompute::None && b.recompute > 0) {
    for (const char* mode : {"none", "selective"}) {
      if (std::string(mode) == e.recompute.mode) break;
      if (e.recompute.fits.count(mode) && e.recompute.fits.at(mode)) {
        hints.push_back(
            {b.recompute, fmt::format("Recomputation costs {} ({}) but memory would fit with recompute = \"{}\" "
                                      "({} per GPU): switching saves most of that time.",
                                      human_seconds(b.recompute), pct(b.recompute / T), mode,
                                      human_bytes(e.recompute.total_bytes.at(mode)))});
        break;
      }
    }
  }
  const double lost = T - e.healthy_iteration_time_s;
  if ((e.slow_gpus > 0 || e.degraded_nics > 0) && lost > 0.01 * T)
    hints.push_back({lost, fmt::format("Slow parts cost {} per iteration ({}): {}. Draining them (or a spare "
                                       "in their place) gives back that time.",
                                       human_seconds(lost), pct(lost / T),
                                       !e.slowest_gpu.empty() ? e.slowest_gpu : e.weakest_nic)});
  std::stable_sort(hints.begin(), hints.end(), [](const Hint& a, const Hint& b) { return a.weight > b.weight; });
  for (size_t i = 0; i < hints.size() && i < 3; ++i) e.hints.push_back(hints[i].text);
  if (e.hints.empty()) {
    const double compute = (b.forward + b.backward + b.optimizer) / T;
    e.hints.push_back(
        fmt::format("No obvious waste: {} of the iteration is useful compute (forward, backward, optimizer); "
                    "the rest is spread over small items. MFU {} is then bounded by kernel efficiency.",
                    pct(compute), pct(p.metrics.mfu)));
  }
}

}  // namespace

Explanation explain(const Scenario& sc, const Prediction& p) {
  const auto& m = p.metrics;
  const auto& s = p.plan.strategy;
  const auto& b = m.breakdown;
  Explanation e;
  e.scenario = m.scenario;
  e.strategy = m.strategy;
  e.gpu = m.gpu;
  e.engine = m.engine;
  e.gpus = m.gpus;
  e.gpus_per_node = sc.cluster.gpus_per_node;
  e.iteration_time_s = m.iteration_time_s;
  e.mfu = m.mfu;
  e.time_parts = {{"forward", b.forward},
                  {"backward", b.backward},
                  {"recompute", b.recompute},
                  {"tp_comm_exposed", b.tp_comm_exposed},
                  {"pipeline_bubble", b.pipeline_bubble},
                  {"dp_comm_exposed", b.dp_comm_exposed},
                  {"optimizer", b.optimizer}};
  e.breakdown_stage = b.stage;

  e.bubble = bubble_formula(s.schedule, s.pp, static_cast<int>(s.micro_batches()), s.vp);
  e.bubble.modelled_s = b.pipeline_bubble;
  e.bubble.modelled_fraction = m.iteration_time_s > 0 ? b.pipeline_bubble / m.iteration_time_s : 0;

  e.comm_stage = std::clamp(b.stage, 0, static_cast<int>(p.plan.programs.size()) - 1);
  const ComputeModel cm(sc.cluster.gpu, load_profile_for(sc));
  const OpCosts costs(p.plan, sc.cluster, cm);
  e.comm = communication_volumes(p.plan, costs, e.comm_stage);
  e.experts = explain_experts(sc, p, costs, e.comm_stage);
  e.sm_count = sc.cluster.gpu.sm_count;
  const bool runtime_path = s.deepspeed03_zero3(), contention = sc.cluster.nccl_sms != 0;
  const bool tp_overlap = s.tp_comm_overlap && s.tp > 1;
  if ((runtime_path || contention || tp_overlap) && !p.plan.programs.empty()) {
    const auto& ops = p.plan.programs[e.comm_stage].ops;
    if (runtime_path) {
      e.zero_runtime = to_string(s.zero_runtime);
      const ZeroRuntimeRates rates = zero_runtime_rates(s.zero_runtime);
      e.runtime_gather_Bps = rates.gather_Bps;
      e.runtime_reduce_Bps = rates.reduce_Bps;
      for (const auto& op : ops) {
        const double extra = costs.runtime_overhead(op);
        if (extra <= 0) continue;
        e.runtime_overhead_s += extra;
        e.runtime_collectives_s += costs.collective(op);
      }
    }
    if (tp_overlap)
      for (const auto& op : ops)
        if (op.kind == OpKind::Compute && op.block >= 0) {
          e.tp_overlapped_s += costs.block(op.block).tp_overlapped;
          e.tp_overlap_cost_s += costs.block(op.block).tp_overlap_cost;
        }
    if (contention) {
      const auto delay = plan_sm_contention_delays(p.plan, costs, sc.cluster);
      for (std::size_t i = 0; i < ops.size() && !delay.empty(); ++i) {
        e.sm_contention_s += delay[e.comm_stage][i];
        if (runs_beside_compute(ops[i]))
          e.sm_contention_sms = std::max(e.sm_contention_sms, costs.collective_sms(ops[i]));
      }
      if (e.sm_contention_s <= 0) e.sm_contention_sms = 0;
    }
  }

  auto& r = e.recompute;
  r.mode = to_string(s.recompute);
  r.time_s = b.recompute;
  r.extra_flops = m.hardware_flops - m.model_flops;
  r.extra_flops_fraction = m.model_flops > 0 ? r.extra_flops / m.model_flops : 0;
  for (Recompute mode : {Recompute::None, Recompute::Selective, Recompute::Full}) {
    const MemoryReport mr = mode == s.recompute ? m.memory : memory_with(sc, p.plan, mode);
    r.activations_bytes[to_string(mode)] = mr.parts.activations;
    r.total_bytes[to_string(mode)] = mr.parts.total();
    r.fits[to_string(mode)] = mr.fits;
  }
  e.memory_total_bytes = m.memory.parts.total();
  e.memory_capacity_bytes = m.memory.capacity;
  e.memory_fits = m.memory.fits;
  explain_stragglers(sc, p, e);
  add_hints(sc, p, e);
  return e;
}

nlohmann::json to_json(const Explanation& e) {
  nlohmann::json j;
  j["scenario"] = e.scenario;
  j["strategy"] = e.strategy;
  j["gpu"] = e.gpu;
  j["gpus"] = e.gpus;
  j["engine"] = e.engine;
  j["iteration_time_s"] = e.iteration_time_s;
  j["mfu"] = e.mfu;
  nlohmann::json parts = nlohmann::json::object();
  for (const auto& [k, v] : e.time_parts)
    parts[k] = {{"seconds", v}, {"fraction", e.iteration_time_s > 0 ? v / e.iteration_time_s : 0.0}};
  j["time"] = {{"stage", e.breakdown_stage}, {"parts", parts}};
  j["experts"] = to_json(e.experts);
  const auto& b = e.bubble;
  j["bubble"] = {{"schedule", b.schedule},     {"p", b.stages},
                 {"m", b.micro_batches},       {"v", b.chunks},
                 {"formula", b.formula},       {"filled", b.filled},
                 {"fraction", b.fraction},     {"of_ideal", b.of_ideal},
                 {"modelled_s", b.modelled_s}, {"modelled_fraction", b.modelled_fraction}};
  nlohmann::json comm = nlohmann::json::array();
  for (const auto& c : e.comm) {
    nlohmann::json x = {{"group", c.group},
                        {"kind", c.kind},
                        {"where", c.where},
                        {"group_size", c.group_size},
                        {"ranks_per_node", c.ranks_per_node},
                        {"nodes", c.nodes},
                        {"count", c.count},
                        {"bytes", c.bytes},
                        {"wire_bytes", c.wire_bytes},
                        {"algorithm", c.algorithm},
                        {"typical_op_bytes", c.typical_op_bytes},
                        {"typical_op_count", c.typical_op_count}};
    if (c.per_layer_per_micro_batch > 0) x["per_layer_per_micro_batch"] = c.per_layer_per_micro_batch;
    if (!c.size_formula.empty()) x["size_formula"] = c.size_formula;
    comm.push_back(x);
  }
  j["communication"] = {{"stage", e.comm_stage}, {"per_rank_per_iteration", comm}};
  j["tp_overlap"] = {{"collectives_s", e.tp_overlapped_s}, {"cost_s", e.tp_overlap_cost_s}};
  j["sm_contention"] = {{"seconds", e.sm_contention_s}, {"nccl_sms", e.sm_contention_sms}, {"sm_count", e.sm_count}};
  if (!e.zero_runtime.empty())
    j["zero_runtime"] = {{"name", e.zero_runtime},
                         {"software_path_s", e.runtime_overhead_s},
                         {"collectives_s", e.runtime_collectives_s},
                         {"gather_bytes_per_s", e.runtime_gather_Bps},
                         {"reduce_bytes_per_s", e.runtime_reduce_Bps}};
  const auto& r = e.recompute;
  j["recompute"] = {{"mode", r.mode},
                    {"time_s", r.time_s},
                    {"extra_flops", r.extra_flops},
                    {"extra_flops_fraction", r.extra_flops_fraction},
                    {"activations_gb", nlohmann::json::object()},
                    {"total_gb", nlohmann::json::object()},
                    {"fits", r.fits}};
  for (const auto& [k, v] : r.activations_bytes) j["recompute"]["activations_gb"][k] = v / 1e9;
  for (const auto& [k, v] : r.total_bytes) j["recompute"]["total_gb"][k] = v / 1e9;
  j["memory"] = {{"total_gb", e.memory_total_bytes / 1e9},
                 {"capacity_gb", e.memory_capacity_bytes / 1e9},
                 {"fits", e.memory_fits}};
  if (e.slow_gpus > 0 || e.degraded_nics > 0)
    j["stragglers"] = {{"slow_gpus", e.slow_gpus},
                       {"slowest_gpu", e.slowest_gpu},
                       {"degraded_nics", e.degraded_nics},
                       {"weakest_nic", e.weakest_nic},
                       {"healthy_iteration_time_s", e.healthy_iteration_time_s},
                       {"cost_s", e.iteration_time_s - e.healthy_iteration_time_s}};
  j["hints"] = e.hints;
  return j;
}

void print_explain_text(const Explanation& e, std::ostream& out) {
  const double T = e.iteration_time_s;
  auto frac = [T](double x) { return T > 0 ? x / T : 0.0; };
  out << fmt::format("Why {} takes {} per iteration\n", e.scenario, human_seconds(T));
  out << fmt::format("  {} x {}, {} ({} engine); MFU {}\n\n", e.gpus, e.gpu, e.strategy, e.engine, pct(e.mfu));

  // 1. Where the time goes, largest first.
  out << fmt::format("Where the time goes (pipeline stage {}, the busiest):\n", e.breakdown_stage);
  static const std::map<std::string, std::string> names = {{"forward", "forward passes"},
                                                           {"backward", "backward passes"},
                                                           {"recompute", "recomputation"},
                                                           {"tp_comm_exposed", "tensor-parallel collectives"},
                                                           {"pipeline_bubble", "pipeline bubble (idle)"},
                                                           {"dp_comm_exposed", "data-parallel sync (exposed)"},
                                                           {"optimizer", "optimizer step"}};
  auto parts = e.time_parts;
  std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [k, v] : parts)
    if (v > 0) out << fmt::format("  {:<32}{:>12}  {:>6}\n", names.at(k), human_seconds(v), pct(frac(v)));

  if (e.slow_gpus > 0 || e.degraded_nics > 0) {
    const double lost = T - e.healthy_iteration_time_s;
    out << "\nSlow parts:\n";
    if (e.slow_gpus > 0)
      out << fmt::format("  {} slow GPU{}; the slowest: {}.\n", e.slow_gpus, e.slow_gpus > 1 ? "s" : "", e.slowest_gpu);
    if (e.degraded_nics > 0)
      out << fmt::format("  {} degraded NIC link{}; the weakest: {}.\n", e.degraded_nics,
                         e.degraded_nics > 1 ? "s" : "", e.weakest_nic);
    out << fmt::format(
        "  Without them the iteration takes {}: they cost {} ({}). Synchronous training waits for its\n"
        "  slowest member at every layer (tensor/context groups), hand-off (pipeline) and gradient sync.\n",
        human_seconds(e.healthy_iteration_time_s), human_seconds(lost), pct(frac(lost)));
  }

  // 2. Bubble.
  const auto& b = e.bubble;
  out << "\nPipeline bubble:\n";
  if (b.stages <= 1) {
    out << "  no pipeline parallelism (pp = 1): no bubble";
    if (b.modelled_s > 0)
      out << fmt::format("; {} of idle time comes from waiting on transfers", human_seconds(b.modelled_s));
    out << ".\n";
  } else {
    out << fmt::format("  {} schedule, p = {} stages, m = {} micro-batches{}.\n", b.schedule, b.stages, b.micro_batches,
                       b.chunks > 1 ? fmt::format(", v = {} chunks per stage", b.chunks) : "");
    out << fmt::format("  By the formula {} = {} = {} of the iteration\n", b.formula, b.filled, pct(b.fraction));
    out << fmt::format("  ({} relative to the bubble-free time, (p-1)/(v*m) as in Narayanan et al. SC'21).\n",
                       pct(b.of_ideal));
    out << fmt::format("  The engine modelled {} idle on the busiest stage: {} of the iteration",
                       human_seconds(b.modelled_s), pct(b.modelled_fraction));
    const double d = b.modelled_fraction - b.fraction;
    if (std::fabs(d) < 0.01)
      out << ", as the formula says.\n";
    else if (d > 0)
      out << fmt::format(
          ",\n  {} points more than the formula: the formula assumes equal stages and free transfers; waiting for\n"
          "  pipeline messages, uneven first/last stages (embedding, logits) and tail work add idle time.\n",
          fmt::format("{:.1f}", 100 * d));
    else
      out << fmt::format(
          ",\n  {} points less than the formula: the busiest stage waits less than a uniform pipeline would\n"
          "  (its extra work — embedding, logits, exposed communication — fills part of the bubble).\n",
          fmt::format("{:.1f}", -100 * d));
  }

  // 3. Communication.
  out << fmt::format("\nCommunication of one rank of stage {} per iteration:\n", e.comm_stage);
  if (e.comm.empty()) out << "  none (one GPU, no parallelism).\n";
  for (const auto& c : e.comm) {
    const std::string shape = c.kind == "send" ? (c.nodes > 1 ? "across nodes" : "inside a node")
                              : c.nodes > 1    ? fmt::format("{} ranks over {} nodes", c.group_size, c.nodes)
                                               : fmt::format("{} ranks inside a node", c.group_size);
    out << fmt::format("  {:<10} {:<15} {:>7} ops  {:>10} buffers, {:>10} on the wire  [{}; {}]\n",
                       c.group == "pp" ? "pp" : c.group, c.kind, c.count, human_bytes(c.bytes),
                       human_bytes(c.wire_bytes), c.where, shape);
    std::string detail =
        fmt::format("             typical op {} (x{})", human_bytes(c.typical_op_bytes), c.typical_op_count);
    if (!c.algorithm.empty() && c.group_size > 1) detail += fmt::format(", {} algorithm", c.algorithm);
    if (c.per_layer_per_micro_batch > 0)
      detail += fmt::format(", {:.3g} per layer per micro-batch", c.per_layer_per_micro_batch);
    if (!c.size_formula.empty()) detail += ": " + c.size_formula;
    out << detail << "\n";
  }
  double exposed_tp = 0, exposed_dp = 0;
  for (const auto& [k, v] : e.time_parts) {
    if (k == "tp_comm_exposed") exposed_tp = v;
    if (k == "dp_comm_exposed") exposed_dp = v;
  }
  out << fmt::format(
      "  Exposed on the critical path: tensor/context/expert collectives {} ({}), data-parallel sync {} ({}).\n",
      human_seconds(exposed_tp), pct(frac(exposed_tp)), human_seconds(exposed_dp), pct(frac(exposed_dp)));
  if (e.runtime_overhead_s > 0) {
    out << fmt::format(
        "  ZeRO-3 runtime {}: its software path (per-parameter gathers copied out of a list, a\n"
        "  synchronisation each; {:.1f} GB/s gathered, {:.1f} GB/s reduced, DeepSpeed #1174) adds {} to the\n"
        "  {} of these collectives, {} of it; they run one after another on one stream.\n",
        e.zero_runtime, e.runtime_gather_Bps / 1e9, e.runtime_reduce_Bps / 1e9, human_seconds(e.runtime_overhead_s),
        human_seconds(e.runtime_collectives_s),
        pct(e.runtime_collectives_s > 0 ? e.runtime_overhead_s / e.runtime_collectives_s : 0.0));
  }
  if (e.tp_overlapped_s > 0)
    out << fmt::format(
        "  TP overlap (Transformer Engine userbuffers, tp_overlap_cfg): of the {} of layer tensor-parallel\n"
        "  collectives, {} stay on the critical path, exposed or as the SMs the overlap takes from the products.\n",
        human_seconds(e.tp_overlapped_s), human_seconds(e.tp_overlap_cost_s));
  if (e.sm_contention_s > 0)
    out << fmt::format(
        "  Overlapped, not free: the collectives beside the compute hold up to {} of the {} SMs (NCCL, one SM\n"
        "  per channel), so the compute they overlap runs {} longer ({} of the iteration, in the passes above).\n",
        e.sm_contention_sms, e.sm_count, human_seconds(e.sm_contention_s), pct(frac(e.sm_contention_s)));

  // 4. Recompute and memory.
  const auto& r = e.recompute;
  print_experts_text(e.experts, T, out);

  out << "\nRecomputation and memory (largest stage, per GPU):\n";
  if (r.mode == "none")
    out << "  no recomputation: every layer keeps its activations for the backward pass.\n";
  else if (r.time_s <= 0 && r.extra_flops <= 0)
    out << fmt::format("  recompute = {} re-runs nothing in this plan.\n", r.mode);
  else
    out << fmt::format(
        "  recompute = {}: costs {} ({} of the iteration) and {} more per iteration ({} of the model FLOPs).\n", r.mode,
        human_seconds(r.time_s), pct(frac(r.time_s)), human_flops(r.extra_flops), pct(r.extra_flops_fraction));
  for (const char* mode : {"none", "selective", "full"})
    if (r.activations_bytes.count(mode))
      out << fmt::format("  {:<10} activations {:>10}, total {:>10}{}{}\n", mode,
                         human_bytes(r.activations_bytes.at(mode)), human_bytes(r.total_bytes.at(mode)),
                         r.fits.at(mode) ? "  fits" : "  does not fit", r.mode == mode ? "   <- this scenario" : "");
  if (r.mode != "none" && r.activations_bytes.count("none") &&
      r.activations_bytes.at("none") > r.activations_bytes.at(r.mode))
    out << fmt::format("  Recomputation saves {} of activation memory per GPU.\n",
                       human_bytes(r.activations_bytes.at("none") - r.activations_bytes.at(r.mode)));
  out << fmt::format("  Memory {}: {} of {} per GPU.\n", e.memory_fits ? "fits" : "DOES NOT FIT",
                     human_bytes(e.memory_total_bytes), human_bytes(e.memory_capacity_bytes));

  out << "\nWhat to try:\n";
  for (const auto& h : e.hints) out << "  - " << h << "\n";
}

}  // namespace trainsim
