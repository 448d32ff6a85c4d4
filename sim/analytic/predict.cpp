#include "sim/analytic/predict.hpp"

#include "models/calibration/profile.hpp"
#include "sim/analytic/analytic_engine.hpp"

namespace trainsim {

namespace {
ProfileLoader& profile_loader() {
  static ProfileLoader loader = load_compute_profile;  // models/calibration (always linked)
  return loader;
}
}  // namespace

void set_profile_loader(ProfileLoader loader) { profile_loader() = std::move(loader); }

std::shared_ptr<const ComputeProfile> load_profile_for(const Scenario& sc) {
  if (!sc.options.profile) return nullptr;
  if (!profile_loader())
    throw InputError(sc.origin + ": $.options.profile", "a profile this build can read (calibration support)",
                     "\"" + *sc.options.profile + "\"");
  return profile_loader()(*sc.options.profile);
}

std::map<std::string, EngineFn>& engine_registry() {
  static std::map<std::string, EngineFn> reg = {
      {"analytic", [](const Scenario& sc, const Plan& plan, const std::vector<ExecutionObserver*>& obs) {
         AnalyticEngine e(sc.cluster, load_profile_for(sc));
         for (auto* o : obs) e.add_observer(o);
         return e.execute(plan);
       }}};
  return reg;
}

Prediction predict(const Scenario& sc, const std::string& engine, const std::vector<ExecutionObserver*>& observers) {
  auto& reg = engine_registry();
  auto it = reg.find(engine);
  if (it == reg.end()) {
    std::string known;
    for (const auto& [k, v] : reg) known += (known.empty() ? "" : ", ") + k;
    throw InputError("--engine", "an engine this build has (" + known + ")", "\"" + engine + "\"");
  }
  Prediction p;
  p.plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  p.trace = it->second(sc, p.plan, observers);
  p.metrics = compute_metrics(sc, p.plan, p.trace);
  return p;
}

}  // namespace trainsim
