#include "sim/simgrid/multi_job.hpp"

#include <filesystem>
#include <random>

#include "sim/plan/planner.hpp"
#include "sim/scenario/scenario_profile.hpp"
#include "sim/simgrid/simgrid_engine.hpp"

namespace trainsim {

namespace fs = std::filesystem;

namespace {
/// The cluster object, inline or from a file (looked up like a scenario's parts: next to the file,
/// then in the enclosing scenarios/ folder).
nlohmann::json cluster_json(const JsonReader& r, const std::string& base_dir) {
  const auto& v = r.json().at("cluster");
  if (v.is_object()) return v;
  if (!v.is_string())
    throw InputError(r.where("cluster"), "an object or a path to a JSON file", JsonReader::describe(v));
  const fs::path p = v.get<std::string>();
  std::vector<fs::path> tries{fs::path(base_dir) / p};
  for (fs::path d = fs::absolute(base_dir); !d.empty() && d != d.parent_path(); d = d.parent_path())
    if (d.filename() == "scenarios") tries.push_back(d / p);
  tries.push_back(p);
  for (const auto& t : tries)
    if (fs::is_regular_file(t)) return read_json_file(t.string());
  throw InputError(r.where("cluster"), "a path to an existing JSON file", "\"" + p.string() + "\" (not found)");
}
}  // namespace

MultiJobSpec parse_multi_job(const nlohmann::json& j, const std::string& origin, const std::string& base_dir) {
  JsonReader r(j, origin);
  r.reject_unknown({"name", "description", "cluster", "jobs", "placement", "seed"});
  MultiJobSpec s;
  s.origin = origin;
  s.name = r.opt_str("name").value_or(fs::path(origin).stem().string());
  if (!r.present("cluster"))
    throw InputError(r.where("cluster"), "an object or a path to a JSON file", "nothing (missing)");
  const nlohmann::json cj = cluster_json(r, base_dir);
  s.cluster = parse_cluster(JsonReader(cj, origin, "$.cluster"));
  s.placement = r.opt_choice("placement", {"contiguous", "random", "spread"}).value_or("contiguous");
  s.seed = static_cast<std::uint64_t>(r.opt_integer("seed", 0).value_or(1));
  int used = 0;
  for (const auto& jr : r.array("jobs")) {
    jr.reject_unknown({"name", "workload", "strategy", "gpus"});
    const int gpus = static_cast<int>(jr.integer("gpus", 1, s.cluster.gpus()));
    if (gpus % s.cluster.gpus_per_node != 0)
      throw InputError(jr.where("gpus"),
                       "a multiple of the " + std::to_string(s.cluster.gpus_per_node) + " GPUs per node",
                       std::to_string(gpus));
    used += gpus;
    nlohmann::json sub = cj;
    sub["nodes"] = gpus / s.cluster.gpus_per_tray();  // the file counts servers (trays of a domain)
    nlohmann::json sj = {{"name", jr.opt_str("name").value_or("job" + std::to_string(s.jobs.size()))},
                         {"cluster", sub},
                         {"workload", jr.json().at("workload")},
                         {"strategy", jr.json().at("strategy")}};
    s.jobs.push_back(parse_scenario(sj, origin, base_dir));
  }
  if (s.jobs.empty()) throw InputError(r.where("jobs"), "at least one job", "an empty list");
  if (used > s.cluster.gpus())
    throw InputError(r.where("jobs"), "jobs that fit the cluster's " + std::to_string(s.cluster.gpus()) + " GPUs",
                     std::to_string(used) + " GPUs");
  return s;
}

MultiJobSpec load_multi_job(const std::string& file) {
  return parse_multi_job(read_json_file(file), file, fs::path(file).parent_path().string());
}

std::vector<std::vector<int>> place_jobs(const MultiJobSpec& spec) {
  const int gpn = spec.cluster.gpus_per_node, N = spec.cluster.nodes, J = static_cast<int>(spec.jobs.size());
  std::vector<int> order(N);
  for (int i = 0; i < N; ++i) order[i] = i;
  if (spec.placement == "random") {
    std::mt19937_64 rng(spec.seed);  // Fisher-Yates with our own index draw: same output on every stdlib
    for (int i = N - 1; i > 0; --i)
      std::swap(order[i], order[static_cast<int>(rng() % static_cast<std::uint64_t>(i + 1))]);
  }
  std::vector<std::vector<int>> nodes(J);
  if (spec.placement == "spread") {
    int k = 0;
    for (bool any = true; any;) {
      any = false;
      for (int j = 0; j < J; ++j)
        if (static_cast<int>(nodes[j].size()) < spec.jobs[j].cluster.nodes) {
          nodes[j].push_back(order[k++]);
          any = true;
        }
    }
  } else {
    int k = 0;
    for (int j = 0; j < J; ++j)
      for (int n = 0; n < spec.jobs[j].cluster.nodes; ++n) nodes[j].push_back(order[k++]);
  }
  std::vector<std::vector<int>> out(J);
  for (int j = 0; j < J; ++j)
    for (int r = 0; r < spec.jobs[j].cluster.gpus(); ++r) out[j].push_back(nodes[j][r / gpn] * gpn + r % gpn);
  return out;
}

std::vector<MultiJobRow> run_multi_job(const MultiJobSpec& spec, const SimOptions& opt) {
  const Fabric fabric(spec.cluster);
  const auto placement = place_jobs(spec);
  std::vector<Plan> plans;
  plans.reserve(spec.jobs.size());
  std::vector<SimJob> jobs;
  for (size_t j = 0; j < spec.jobs.size(); ++j) {
    const auto& sc = spec.jobs[j];
    plans.push_back(build_plan(sc.workload.model, sc.strategy, sc.cluster.used_per_node()));
  }
  for (size_t j = 0; j < spec.jobs.size(); ++j) {
    const auto& sc = spec.jobs[j];
    jobs.push_back({sc.name, &plans[j], sc.cluster, load_profile_for(sc), placement[j]});
  }
  SimOptions o = opt;
  o.link_stats = false;
  std::vector<MultiJobRow> rows;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const auto alone = simulate(fabric, {jobs[j]}, o);
    rows.push_back({jobs[j].name, spec.jobs[j].cluster.gpus(), alone.traces[0].iteration_time, 0.0});
  }
  const auto together = simulate(fabric, jobs, o);
  for (size_t j = 0; j < jobs.size(); ++j) rows[j].together_s = together.traces[j].iteration_time;
  return rows;
}

}  // namespace trainsim
