#include "sim/search/strategy_search.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "models/util/errors.hpp"
#include "models/util/progress.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/metrics/energy_cost.hpp"
#include "sim/search/scenario_at_size.hpp"

namespace trainsim {

Objective parse_objective(const std::string& s) {
  if (s == "time") return Objective::Time;
  if (s == "cost") return Objective::Cost;
  if (s == "energy") return Objective::Energy;
  throw InputError("--objective", "time, cost or energy", "\"" + s + "\"");
}

const char* to_string(Objective o) {
  switch (o) {
    case Objective::Time: return "time";
    case Objective::Cost: return "cost";
    case Objective::Energy: return "energy";
  }
  return "?";
}

namespace {

double objective_value(const Candidate& c, Objective o) {
  switch (o) {
    case Objective::Time: return c.time_s;
    case Objective::Cost: return c.cost_usd;
    case Objective::Energy: return c.energy_kwh;
  }
  return c.time_s;
}

bool dominates(const Candidate& a, const Candidate& b) {
  const bool no_worse = a.time_s <= b.time_s && a.cost_usd <= b.cost_usd && a.energy_kwh <= b.energy_kwh;
  const bool better = a.time_s < b.time_s || a.cost_usd < b.cost_usd || a.energy_kwh < b.energy_kwh;
  return no_worse && better;
}

/// Time, cost and energy from an energy/cost report: the whole run with a token budget, else one iteration.
void set_objectives(Candidate& c, const EnergyCostReport& ec, bool per_run) {
  if (per_run) {
    c.time_s = ec.reliability.ideal_time_to_train_s;
    c.cost_usd = ec.cost.run.usd_per_run;
    c.energy_kwh = ec.energy.run_kwh;
  } else {
    c.time_s = ec.storage.iteration_time_with_io_s;
    c.cost_usd = ec.cost.run.usd_per_iteration;
    c.energy_kwh = ec.energy.per_iteration.total_j() / 3.6e6;
  }
}

/// The objectives of a scored candidate, from its closed-form activity.
void fill_objectives(Candidate& c, const Scenario& sc, bool per_run) {
  Metrics m;
  m.gpus = c.gpus;
  m.iteration_time_s = c.score.iteration_time_s;
  m.train_tokens = sc.workload.train_tokens;
  set_objectives(c, energy_cost_report(sc, c.strategy, c.score.activity, m), per_run);
}

}  // namespace

void mark_pareto(std::vector<Candidate>& cands) {
  std::vector<std::size_t> front;
  // Sorted by time, a candidate can only be dominated by one before it (or an equal-time one).
  std::vector<std::size_t> order(cands.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) {
    if (cands[a].time_s != cands[b].time_s) return cands[a].time_s < cands[b].time_s;
    if (cands[a].cost_usd != cands[b].cost_usd) return cands[a].cost_usd < cands[b].cost_usd;
    return cands[a].energy_kwh < cands[b].energy_kwh;
  });
  for (std::size_t i : order) {
    bool dominated = false;
    for (std::size_t f : front)
      if (dominates(cands[f], cands[i]) ||
          (cands[f].time_s == cands[i].time_s && cands[f].cost_usd == cands[i].cost_usd &&
           cands[f].energy_kwh == cands[i].energy_kwh)) {
        dominated = true;
        break;
      }
    if (!dominated) front.push_back(i);
  }
  for (auto& c : cands) c.pareto = false;
  for (std::size_t f : front) cands[f].pareto = true;
}

SearchResult search_strategies(const nlohmann::json& base_json, const std::string& origin, const std::string& base_dir,
                               const SearchOptions& opt) {
  SearchResult res;
  res.objective = opt.objective;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int> counts = opt.gpu_counts;
  // The scenario's strategy is a template (precision, overlaps, framework knobs); its layout is
  // searched, so it need not run at every size tried (scenario_at_size).
  const Scenario base = parse_scenario_unresolved(base_json, origin, base_dir);
  if (counts.empty()) counts.push_back(base.cluster.gpus());
  res.per_run = base.workload.train_tokens > 0;

  std::unique_ptr<ProgressBar> scoring;
  if (opt.progress)
    scoring = std::make_unique<ProgressBar>(counts.size(), stderr, true, "search: scoring", "sizes", 1.0);
  for (int gpus : counts) {
    if (scoring) scoring->tick();
    const auto sized = scenario_at_size(base_json, gpus, origin, base_dir);
    if (!sized) {
      ++res.sizes_without_strategy;
      continue;
    }
    const Scenario& sc = sized->scenario;
    if (opt.objective == Objective::Cost || opt.budget_usd > 0) {
      // Ranking or bounding by cost needs a price: say which field to state instead of ranking zeros.
      Metrics probe;
      probe.gpus = gpus;
      probe.iteration_time_s = 1;
      const auto ec = energy_cost_report(sc, sc.strategy, ActivityBreakdown{}, probe);
      if (ec.cost.unpriced)
        throw InputError(
            ec.cost.price_field,
            "a price per GPU-hour to search by cost (the catalog has none for " + sc.cluster.gpu.name + ")", "none");
    }
    const StrategyScorer scorer(sc);
    const StrategySpace space = opt.space ? *opt.space : default_space(sc.workload.model, sc.cluster.gpus_per_node);
    enumerate_strategies(space, sc.workload.model, base.strategy, sc.cluster.job_gpus(), sc.strategy.global_batch,
                         [&](const Strategy& s0) {
                           ++res.enumerated;
                           Strategy s = s0;
                           try {
                             resolve_strategy(s, sc.workload.model, sc.workload.global_batch, sc.cluster.job_gpus(),
                                              "search");
                           } catch (const InputError&) {
                             ++res.invalid;
                             return;
                           }
                           Candidate c;
                           c.strategy = s;
                           c.gpus = gpus;
                           c.score = scorer.score(s);
                           if (!c.score.memory.fits) {
                             ++res.over_memory;
                             return;
                           }
                           fill_objectives(c, sc, res.per_run);
                           if ((opt.deadline_s > 0 && c.time_s > opt.deadline_s) ||
                               (opt.budget_usd > 0 && c.cost_usd > opt.budget_usd)) {
                             ++res.over_constraints;
                             return;
                           }
                           res.candidates.push_back(std::move(c));
                         });
  }
  res.scoring_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::stable_sort(res.candidates.begin(), res.candidates.end(), [&](const Candidate& a, const Candidate& b) {
    return objective_value(a, opt.objective) < objective_value(b, opt.objective);
  });
  mark_pareto(res.candidates);

  // Confirm the top K with a full engine; the best is the best confirmed one.
  std::string engine = opt.confirm_engine;
  if (engine.empty()) engine = base.options.engine;  // the scenario's own engine (analytic by default)
  if (scoring) scoring->finish();
  const int k = std::min<int>(opt.top_k, static_cast<int>(res.candidates.size()));
  std::unique_ptr<ProgressBar> confirming;
  if (opt.progress && k > 0)
    confirming = std::make_unique<ProgressBar>(k, stderr, true, "search: confirming with the " + engine + " engine",
                                               "candidates", 1.0);
  for (int i = 0; i < k; ++i) {
    auto& c = res.candidates[i];
    Scenario sc = scenario_at_size(base_json, c.gpus, origin, base_dir)->scenario;  // a candidate ran there
    sc.strategy = c.strategy;
    const Prediction p = predict(sc, engine);
    c.confirmed_engine = engine;
    c.confirmed_iteration_time_s = p.metrics.iteration_time_s;
    set_objectives(c, p.metrics.energy_cost, res.per_run);
    if (confirming) confirming->tick();
  }
  if (confirming) confirming->finish();
  for (int i = 0; i < k; ++i)
    if (!res.best || objective_value(res.candidates[i], opt.objective) < objective_value(*res.best, opt.objective))
      res.best = res.candidates[i];
  return res;
}

nlohmann::json to_json(const SearchResult& r) {
  auto cand = [&](const Candidate& c) {
    nlohmann::json j;
    j["strategy"] = describe_strategy(c.strategy);
    j["params"] = {{"cluster.gpus", c.gpus},           {"strategy.tp", c.strategy.tp},
                   {"strategy.pp", c.strategy.pp},     {"strategy.dp", c.strategy.dp},
                   {"strategy.cp", c.strategy.cp},     {"strategy.ep", c.strategy.ep},
                   {"strategy.vp", c.strategy.vp},     {"strategy.micro_batch", c.strategy.micro_batch},
                   {"strategy.zero", c.strategy.zero}, {"strategy.recompute", to_string(c.strategy.recompute)}};
    j["gpus"] = c.gpus;
    j["iteration_time_s"] = c.confirmed_engine.empty() ? c.score.iteration_time_s : c.confirmed_iteration_time_s;
    j["time_to_train_s"] = r.per_run ? c.time_s : 0.0;
    j["time_s"] = c.time_s;
    j["cost_usd"] = c.cost_usd;
    j["energy_kwh"] = c.energy_kwh;
    j["memory_gb"] = c.score.memory.parts.total() / 1e9;
    j["mfu"] = c.score.mfu;
    j["fits"] = c.score.memory.fits;
    j["pareto"] = c.pareto;
    j["confirmed_engine"] = c.confirmed_engine.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.confirmed_engine);
    return j;
  };
  nlohmann::json j;
  j["objective"] = to_string(r.objective);
  j["per"] = r.per_run ? "training run" : "iteration";
  j["enumerated"] = r.enumerated;
  j["invalid"] = r.invalid;
  j["over_memory"] = r.over_memory;
  j["over_constraints"] = r.over_constraints;
  j["sizes_without_strategy"] = r.sizes_without_strategy;
  j["feasible"] = r.candidates.size();
  // The best 200 and every Pareto point (thousands of candidates would bloat the output).
  j["candidates"] = nlohmann::json::array();
  for (std::size_t i = 0; i < r.candidates.size(); ++i)
    if (i < 200 || r.candidates[i].pareto) j["candidates"].push_back(cand(r.candidates[i]));
  j["best"] = r.best ? cand(*r.best) : nlohmann::json(nullptr);
  return j;
}

}  // namespace trainsim
