// trainsim explain SCENARIO.json [--engine analytic|simgrid] [--format text|json]
#include <iostream>
#include <memory>

#include "sim/cli/command_registry.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/report/explain.hpp"

namespace trainsim::cli {
namespace {

struct ExplainArgs {
  std::string scenario, engine, format = "text";
};

Action setup(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  app.add_option("scenario", a->scenario, "scenario JSON file")->required();
  app.add_option("--engine", a->engine, "analytic (default: the scenario's options.engine) or simgrid");
  app.add_option("--format", a->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  return [a]() {
    Scenario sc = load_scenario(a->scenario);
    const Prediction p = predict(sc, a->engine.empty() ? sc.options.engine : a->engine);
    const Explanation e = explain(sc, p);
    if (a->format == "json")
      std::cout << to_json(e).dump(2) << "\n";
    else
      print_explain_text(e, std::cout);
    return 0;
  };
}

RegisterCommand reg("explain",
                    "where the time of an iteration goes and why: bubble formula, communication volume per group, "
                    "recompute cost and memory, hints",
                    setup, 15);

}  // namespace
}  // namespace trainsim::cli
