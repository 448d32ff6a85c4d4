// trainsim search SCENARIO.json [--objective time|cost|energy] [--max-gpus N] [--deadline 30d]
//                               [--budget USD] [--top-k K] [--confirm-engine analytic|simgrid]
//                               [--format text|json]
// Enumerates the strategies of the scenario's model on its cluster (or on every power-of-two node
// count up to --max-gpus), scores them in closed form, keeps those that fit in memory and meet the
// constraints, confirms the top K with a full engine and prints the best and the Pareto front over
// time, cost and energy (sim/search/strategy_search.hpp, docs/sweeps-and-search.md).
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "sim/cli/command_registry.hpp"
#include "sim/search/duration.hpp"
#include "sim/search/strategy_search.hpp"

namespace trainsim::cli {
namespace {

struct SearchArgs {
  std::string scenario, objective = "time", deadline, format = "text", confirm_engine;
  int max_gpus = 0, top_k = 5;
  double budget = 0;
};

void print_text(const SearchResult& r, std::ostream& os) {
  const char* per = r.per_run ? "training run" : "iteration";
  os << fmt::format(
      "strategy search: objective {} (per {}); {} strategies enumerated, {} invalid, {} over memory, "
      "{} over the constraints, {} feasible; scored in {:.3f} s ({:.0f} strategies/s)\n\n",
      to_string(r.objective), per, r.enumerated, r.invalid, r.over_memory, r.over_constraints, r.candidates.size(),
      r.scoring_seconds, r.enumerated / std::max(1e-9, r.scoring_seconds));
  if (r.sizes_without_strategy > 0)
    os << fmt::format(
        "({} of the cluster sizes tried can run no strategy of this workload, e.g. dp above the global "
        "batch)\n\n",
        r.sizes_without_strategy);
  if (r.candidates.empty()) {
    os << "no feasible strategy: relax the constraints or add GPUs\n";
    return;
  }
  auto row = [&](const Candidate& c) {
    const double t = r.per_run ? c.time_s / 86400.0 : c.time_s;
    return fmt::format("  {:>6} {:<58} {:>10.2f} {:>14.0f} {:>12.1f} {:>7.1f}% {:>6.1f} {}{}\n", c.gpus,
                       describe_strategy(c.strategy), t, c.cost_usd, c.energy_kwh, 100 * c.score.mfu,
                       c.score.memory.parts.total() / 1e9, c.pareto ? "pareto " : "",
                       c.confirmed_engine.empty() ? "" : "confirmed(" + c.confirmed_engine + ")");
  };
  const std::string head = fmt::format("  {:>6} {:<58} {:>10} {:>14} {:>12} {:>8} {:>6}\n", "GPUs", "strategy",
                                       r.per_run ? "days" : "s/iter", "USD", "kWh", "MFU", "GB");
  if (r.best) os << "best (confirmed):\n" << head << row(*r.best) << "\n";
  os << "top candidates:\n" << head;
  for (std::size_t i = 0; i < std::min<std::size_t>(10, r.candidates.size()); ++i) os << row(r.candidates[i]);
  os << "\nPareto front (time, cost, energy):\n" << head;
  std::size_t shown = 0;
  for (const auto& c : r.candidates)
    if (c.pareto && shown++ < 30) os << row(c);
}

Action setup(CLI::App& app) {
  auto x = std::make_shared<SearchArgs>();
  app.add_option("scenario", x->scenario, "scenario JSON file (its model, cluster design and base strategy knobs)")
      ->required();
  app.add_option("--objective", x->objective, "time, cost or energy")->check(CLI::IsMember({"time", "cost", "energy"}));
  app.add_option("--max-gpus", x->max_gpus,
                 "also try smaller and larger clusters: every power-of-two node count up to this many GPUs")
      ->check(CLI::PositiveNumber);
  app.add_option("--deadline", x->deadline, "time to train at most this (30d, 720h, seconds)");
  app.add_option("--budget", x->budget,
                 "cost of the training run (or iteration without a token budget) at most this, USD")
      ->check(CLI::PositiveNumber);
  app.add_option("--top-k", x->top_k, "confirm this many best candidates with a full engine")
      ->check(CLI::Range(0, 1000));
  app.add_option("--confirm-engine", x->confirm_engine,
                 "analytic or simgrid (default: the scenario's options.engine, analytic unless it says otherwise)")
      ->check(CLI::IsMember({"analytic", "simgrid"}));
  app.add_option("--format", x->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  return [x]() {
    const auto raw = read_json_file(x->scenario);
    const std::string dir = std::filesystem::path(x->scenario).parent_path().string();
    const auto base = inline_scenario_parts(raw, x->scenario, dir);
    SearchOptions opt;
    opt.objective = parse_objective(x->objective);
    opt.top_k = x->top_k;
    opt.confirm_engine = x->confirm_engine;
    opt.progress = isatty(STDERR_FILENO) != 0;
    if (!x->deadline.empty()) opt.deadline_s = parse_duration(x->deadline, "--deadline");
    opt.budget_usd = x->budget;
    if (x->max_gpus > 0) {
      const Scenario sc = parse_scenario_unresolved(base, x->scenario, dir);
      const int gpn = sc.cluster.gpus_per_node;
      if (x->max_gpus < gpn)
        throw InputError("--max-gpus", "at least one node (" + std::to_string(gpn) + " GPUs)",
                         std::to_string(x->max_gpus));
      for (int g = gpn; g <= x->max_gpus; g *= 2) opt.gpu_counts.push_back(g);
    }
    const SearchResult r = search_strategies(base, x->scenario, dir, opt);
    if (x->format == "json")
      std::cout << to_json(r).dump(2) << "\n";
    else
      print_text(r, std::cout);
    return 0;
  };
}

RegisterCommand reg("search", "find the best parallelism strategy (time, cost or energy) and the Pareto front", setup,
                    31);

}  // namespace
}  // namespace trainsim::cli
