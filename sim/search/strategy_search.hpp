#pragma once
// search_strategies(): enumerate feasible strategies (StrategySpace), score them all with the
// closed-form StrategyScorer, keep those whose memory fits and that meet the constraints, rank by
// the objective, confirm the top K with a full engine (confirm_engine; by default the scenario's
// own, the analytic replay unless it names simgrid), and mark the Pareto front over time, cost
// and energy.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sim/metrics/metrics.hpp"
#include "sim/scorer/strategy_scorer.hpp"
#include "sim/search/strategy_space.hpp"

namespace trainsim {

enum class Objective { Time, Cost, Energy };
Objective parse_objective(const std::string& s);
const char* to_string(Objective o);

struct SearchOptions {
  Objective objective = Objective::Time;
  std::vector<int> gpu_counts;         ///< GPU counts to try (empty: the scenario's cluster size)
  double deadline_s = 0;               ///< time to train must not exceed this (0: none)
  double budget_usd = 0;               ///< cost of the run must not exceed this (0: none)
  int top_k = 5;                       ///< candidates confirmed with `confirm_engine`
  std::string confirm_engine;          ///< empty: the scenario's own engine (options.engine, analytic by default)
  std::optional<StrategySpace> space;  ///< default_space() when not given
  bool progress = false;               ///< progress of scoring and confirmation on stderr (a terminal), after 1 s
};

struct Candidate {
  Strategy strategy;
  int gpus = 0;
  FastScore score;
  /// Objectives: the whole training run when the workload has a token budget, else one iteration.
  double time_s = 0, cost_usd = 0, energy_kwh = 0;
  bool pareto = false;
  std::string confirmed_engine;  ///< empty when not confirmed
  double confirmed_iteration_time_s = 0;
};

struct SearchResult {
  Objective objective = Objective::Time;
  bool per_run = false;  ///< objectives per training run (token budget) or per iteration
  std::size_t enumerated = 0, invalid = 0, over_memory = 0, over_constraints = 0;
  /// GPU counts tried where no strategy of the space runs the workload (e.g. dp above the global batch).
  std::size_t sizes_without_strategy = 0;
  double scoring_seconds = 0;         ///< wall time of enumeration + scoring (for the rate)
  std::vector<Candidate> candidates;  ///< feasible, best first by the objective
  std::optional<Candidate> best;      ///< best confirmed candidate
};

/// `base_json` is the scenario with parts inlined (inline_scenario_parts); `origin`/`base_dir` as
/// for parse_scenario. GPU counts change the cluster's node count.
SearchResult search_strategies(const nlohmann::json& base_json, const std::string& origin, const std::string& base_dir,
                               const SearchOptions& opt);

/// Non-dominated candidates over (time_s, cost_usd, energy_kwh): sets `pareto`.
void mark_pareto(std::vector<Candidate>& cands);

nlohmann::json to_json(const SearchResult& r);

}  // namespace trainsim
