#include "sim/scenario/scenario.hpp"

#include "sim/scenario/scenario_profile.hpp"

#include "sim/plan/pipeline_schedule.hpp"

#include <filesystem>

namespace trainsim {

namespace fs = std::filesystem;

Workload parse_workload(const JsonReader& r) {
  r.reject_unknown({"name", "description", "source", "model", "global_batch", "train_tokens"});
  Workload w;
  w.model = parse_transformer(r.object("model"));
  w.name = r.opt_str("name").value_or(w.model.name);
  if (w.model.name == "model") w.model.name = w.name;
  w.global_batch = r.opt_integer("global_batch", 1, std::int64_t(1) << 40).value_or(0);
  w.train_tokens = r.opt_number("train_tokens", 0, 1e18).value_or(0);
  return w;
}

namespace {

/// A part is inline (object) or a path; a path is looked up next to the scenario, then in the
/// enclosing scenarios/ folder (so "clusters/dgx-a100.json" works from scenarios/*.json), then as
/// given, then in the shipped scenarios/ folder (so a scenario kept elsewhere can name
/// "clusters/dgx-a100.json" too).
std::pair<nlohmann::json, std::string> resolve_part(const JsonReader& r, const std::string& key,
                                                    const std::string& base_dir) {
  if (!r.present(key)) throw InputError(r.where(key), "an object or a path to a JSON file", "nothing (missing)");
  const auto& v = r.json().at(key);
  if (v.is_object()) return {v, r.origin()};
  if (!v.is_string()) throw InputError(r.where(key), "an object or a path to a JSON file", JsonReader::describe(v));
  fs::path p = v.get<std::string>();
  std::vector<fs::path> tries;
  if (p.is_absolute()) {
    tries.push_back(p);
  } else {
    const fs::path base = base_dir.empty() ? fs::path(".") : fs::path(base_dir);
    tries.push_back(base / p);
    for (fs::path d = fs::absolute(base); !d.empty(); d = d.parent_path()) {
      if (d.filename() == "scenarios") {
        tries.push_back(d / p);
        break;
      }
      if (d == d.parent_path()) break;
    }
    tries.push_back(p);
    tries.push_back(fs::path(default_frameworks_dir()).parent_path() / p);
  }
  for (const auto& t : tries)
    if (fs::is_regular_file(t)) return {read_json_file(t.string()), t.string()};
  throw InputError(r.where(key), "a path to an existing JSON file", "\"" + p.string() + "\" (not found)");
}

}  // namespace

void resolve_strategy(Strategy& s, const TransformerConfig& m, std::int64_t workload_global_batch, int gpus,
                      const std::string& where) {
  const std::string w = where + ".strategy.";
  if (s.global_batch == 0) s.global_batch = workload_global_batch;
  if (s.global_batch == 0)
    throw InputError(w + "global_batch", "a global batch (in the workload or the strategy)", "nothing (missing)");
  // The model's own constraints first: a tp that cannot split the heads is the error to report,
  // not the data-parallel remainder it leaves.
  if (m.heads % s.tp != 0)
    throw InputError(w + "tp", "a divisor of the model's " + std::to_string(m.heads) + " attention heads",
                     std::to_string(s.tp));
  if (m.ffn % s.tp != 0)
    throw InputError(w + "tp", "a divisor of the MLP size ffn = " + std::to_string(m.ffn), std::to_string(s.tp));
  const long long model_par = static_cast<long long>(s.tp) * s.pp * s.cp;
  if (s.dp == 0) {
    if (gpus % model_par != 0)
      throw InputError(
          w + "dp", "tp x pp x cp = " + std::to_string(model_par) + " to divide the " + std::to_string(gpus) + " GPUs",
          "a remainder of " + std::to_string(gpus % model_par));
    s.dp = static_cast<int>(gpus / model_par);
  }
  if (model_par * s.dp != gpus)
    throw InputError(w + "dp", "tp x pp x dp x cp = the cluster's " + std::to_string(gpus) + " GPUs",
                     std::to_string(s.tp) + " x " + std::to_string(s.pp) + " x " + std::to_string(s.dp) + " x " +
                         std::to_string(s.cp) + " = " + std::to_string(model_par * s.dp));

  if (m.seq_len % s.cp != 0)
    throw InputError(w + "cp", "a divisor of seq_len = " + std::to_string(m.seq_len), std::to_string(s.cp));
  if (s.global_batch % (s.micro_batch * s.dp) != 0)
    throw InputError(w + "micro_batch",
                     "micro_batch x dp (" + std::to_string(s.micro_batch) + " x " + std::to_string(s.dp) +
                         ") to divide global_batch = " + std::to_string(s.global_batch),
                     "a remainder of " + std::to_string(s.global_batch % (s.micro_batch * s.dp)));
  if (s.shard_group > 0 && (s.dp * s.cp) % s.shard_group != 0)
    throw InputError(w + "shard_group", "a divisor of dp x cp = " + std::to_string(s.dp * s.cp),
                     std::to_string(s.shard_group));
  // Expert layers fold etp x ep x edp over a stage's tp x cp x dp ranks (Megatron-Core >= 0.10);
  // with etp = tp (the default) that is ep dividing dp x cp.
  if (s.etp > 0 && (s.tp * s.cp * s.dp) % s.etp != 0)
    throw InputError(w + "etp", "a divisor of tp x cp x dp = " + std::to_string(s.tp * s.cp * s.dp),
                     std::to_string(s.etp));
  if ((s.tp * s.cp * s.dp) % (s.expert_tp() * s.ep) != 0)
    throw InputError(w + "ep",
                     "etp x ep (etp " + std::to_string(s.expert_tp()) +
                         ") dividing tp x cp x dp = " + std::to_string(s.tp * s.cp * s.dp) +
                         (s.etp > 0 ? std::string() : std::string(" (give etp to fold EP over TP ranks)")),
                     std::to_string(s.ep));
  if (s.etp > 0 && !m.moe)
    throw InputError(w + "etp", "not given for a dense model (no moe section)", std::to_string(s.etp));
  if (m.moe && m.moe->expert_ffn % s.expert_tp() != 0)
    throw InputError(w + "etp", "a divisor of the expert width " + std::to_string(m.moe->expert_ffn),
                     std::to_string(s.expert_tp()));
  if (s.ep > 1 && !m.moe) throw InputError(w + "ep", "1 for a dense model (no moe section)", std::to_string(s.ep));
  if (m.moe && m.moe->experts % s.ep != 0)
    throw InputError(w + "ep", "a divisor of the " + std::to_string(m.moe->experts) + " experts", std::to_string(s.ep));
  // Plans hold one op per micro-batch, chunk and stage: bound them so that a typo (a global batch
  // of 10^12) is an error, not an out-of-memory.
  const long double plan_ops = static_cast<long double>(s.micro_batches()) * m.layers;
  if (plan_ops > 5e7L)
    throw InputError(w + "global_batch", "at most 5e7 (micro-batches x layers) per iteration",
                     std::to_string(s.micro_batches()) + " micro-batches x " + std::to_string(m.layers) + " layers");
  if (s.sequence_parallel && s.tp == 1) s.sequence_parallel = false;  // SP is a no-op without TP
  if (s.schedule == ScheduleKind::Interleaved1F1B && s.pp == 1)
    throw InputError(w + "schedule", "a pipeline (pp > 1) for the interleaved schedule", "pp = 1");
  if (const auto o = pipeline_obstacle(m.layers, s.pp, s.vp, s.micro_batches()))
    throw InputError(w + o->field, o->expected, o->got);
}

Scenario parse_scenario_unresolved(const nlohmann::json& j, const std::string& origin, const std::string& base_dir) {
  JsonReader r(j, origin);
  r.reject_unknown({"name", "description", "cluster", "workload", "strategy", "framework", "options"});
  Scenario sc;
  sc.origin = origin;
  sc.name = r.opt_str("name").value_or(fs::path(origin).stem().string());

  auto [cj, corigin] = resolve_part(r, "cluster", base_dir);
  const std::string cpath = corigin == origin ? "$.cluster" : "$";
  sc.cluster = parse_cluster(JsonReader(cj, corigin, cpath));
  sc.cluster_json = cj;

  auto [wj, worigin] = resolve_part(r, "workload", base_dir);
  sc.workload = parse_workload(JsonReader(wj, worigin, worigin == origin ? "$.workload" : "$"));

  auto [sj, sorigin] = resolve_part(r, "strategy", base_dir);
  const std::string spath = sorigin == origin ? "$.strategy" : "$";
  if (r.present("framework")) {
    // A profile (inline or a file) or a reference {name, version, date} into the catalog.
    auto [fj, forigin] = resolve_part(r, "framework", base_dir);
    const JsonReader f(fj, forigin, forigin == origin ? "$.framework" : "$");
    if (fj.contains("features")) {
      sc.framework = parse_framework_profile(f);
      sc.framework_choice = "stated";
    } else {
      f.reject_unknown({"name", "version", "date"});
      const FrameworkRef ref{f.str("name"), f.opt_str("version"), f.opt_str("date")};
      sc.framework = select_framework(framework_catalog(), ref, f.where(), &sc.framework_choice);
    }
    sc.framework_fills = apply_framework(*sc.framework, sj, sorigin + ": " + spath);
  }
  sc.strategy = parse_strategy(JsonReader(sj, sorigin, spath));
  if (sc.cluster.domain_aware_placement) {
    const Strategy& s = sc.strategy;
    sc.cluster.ranks_per_node = domain_aware_ranks(sc.cluster.gpus_per_node, s.tp, s.cp, s.expert_tp(), s.ep);
  }

  if (auto o = r.opt_object("options")) {
    o->reject_unknown({"engine", "profile", "memory_overhead_gb"});
    sc.options.engine = o->opt_choice("engine", {"analytic", "simgrid"}).value_or("analytic");
    if (auto p = o->opt_str("profile")) {
      fs::path pp = *p;
      if (pp.is_relative() && fs::exists(fs::path(base_dir) / pp)) pp = fs::path(base_dir) / pp;
      sc.options.profile = pp.string();
    }
    sc.options.memory_overhead_bytes = o->opt_number("memory_overhead_gb", 0, 1e4).value_or(2.0) * 1e9;
  }
  if (sc.options.profile) apply_profile_to_cluster(*load_calibration_profile(*sc.options.profile), sc.cluster);
  sc.strategy_where = sorigin + ": " + spath;
  return sc;
}

void resolve_scenario_strategy(const Scenario& sc, Strategy& s) {
  resolve_strategy(s, sc.workload.model, sc.workload.global_batch, sc.cluster.job_gpus(), sc.origin + ": $");
  // Megatron-LM's interleaved schedule needs pp x vp to divide the layers (--num-layers-per-virtual-
  // pipeline-stage) until Megatron-Core 0.13's custom pipeline layouts; the planner can split
  // unevenly, the framework decides whether the run could.
  if (sc.framework && s.vp > 1 && sc.workload.model.layers % (s.pp * s.vp) != 0 &&
      !sc.framework->has("uneven_virtual_stages"))
    throw InputError(sc.strategy_where + ".vp: " + std::to_string(s.pp) + " x " + std::to_string(s.vp) +
                     " virtual stages over " + std::to_string(sc.workload.model.layers) +
                     " layers split them unevenly, " + "which is not in " + sc.framework->name + " " +
                     sc.framework->version + " (" + sc.framework->origin + ")");
}

Scenario parse_scenario(const nlohmann::json& j, const std::string& origin, const std::string& base_dir) {
  Scenario sc = parse_scenario_unresolved(j, origin, base_dir);
  resolve_scenario_strategy(sc, sc.strategy);
  return sc;
}

nlohmann::json inline_scenario_parts(const nlohmann::json& j, const std::string& origin, const std::string& base_dir) {
  JsonReader r(j, origin);
  if (!j.is_object()) throw InputError(origin + ": $", "a scenario object", JsonReader::describe(j));
  nlohmann::json out = j;
  for (const char* part : {"cluster", "workload", "strategy"}) out[part] = resolve_part(r, part, base_dir).first;
  if (r.present("framework")) out["framework"] = resolve_part(r, "framework", base_dir).first;
  if (out.contains("options") && out["options"].is_object() && out["options"].contains("profile") &&
      out["options"]["profile"].is_string()) {
    fs::path pp = out["options"]["profile"].get<std::string>();
    if (pp.is_relative() && fs::exists(fs::path(base_dir) / pp))
      out["options"]["profile"] = (fs::path(base_dir) / pp).string();
  }
  return out;
}

Scenario load_scenario(const std::string& file) {
  auto j = read_json_file(file);
  return parse_scenario(j, file, fs::path(file).parent_path().string());
}

}  // namespace trainsim
