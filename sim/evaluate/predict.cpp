#include "sim/evaluate/predict.hpp"

#include <algorithm>

#include "models/util/errors.hpp"
#include "sim/analytic/analytic_engine.hpp"
#include "sim/scorer/strategy_scorer.hpp"

namespace trainsim {

std::map<std::string, EngineFn>& engine_registry() {
  static std::map<std::string, EngineFn> reg = {
      {"analytic", [](const Scenario& sc, const Plan& plan, const std::vector<ExecutionObserver*>& obs) {
         AnalyticEngine e(sc.cluster, load_profile_for(sc));
         for (auto* o : obs) e.add_observer(o);
         return e.execute(plan);
       }}};
  return reg;
}

std::map<std::string, EvaluatorFn>& evaluator_registry() {
  static std::map<std::string, EvaluatorFn> reg = {
      {"fast", [](const Scenario& sc) { return StrategyScorer(sc).metrics(sc.strategy); }}};
  return reg;
}

std::vector<std::string> evaluator_names() {
  std::vector<std::string> out;
  for (const auto& [name, fn] : engine_registry()) out.push_back(name);
  for (const auto& [name, fn] : evaluator_registry())
    if (!engine_registry().count(name)) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
[[noreturn]] void unknown(const std::string& where, const std::string& name, const std::vector<std::string>& known) {
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  throw InputError(where, "an engine this build has (" + list + ")", "\"" + name + "\"");
}
}  // namespace

void check_evaluator(const std::string& name, const std::string& where) {
  const auto names = evaluator_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) unknown(where, name, names);
}

Prediction predict(const Scenario& sc, const std::string& engine, const std::vector<ExecutionObserver*>& observers) {
  auto& reg = engine_registry();
  auto it = reg.find(engine);
  if (it == reg.end()) {
    std::vector<std::string> known;
    for (const auto& [k, v] : reg) known.push_back(k);
    unknown("--engine", engine, known);
  }
  Prediction p;
  p.plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.used_per_node());
  p.trace = it->second(sc, p.plan, observers);
  p.metrics = compute_metrics(sc, p.plan, p.trace);
  return p;
}

Metrics evaluate(const Scenario& sc, const std::string& name, const std::string& where) {
  if (engine_registry().count(name)) return predict(sc, name).metrics;
  check_evaluator(name, where);
  return evaluator_registry().at(name)(sc);
}

}  // namespace trainsim
