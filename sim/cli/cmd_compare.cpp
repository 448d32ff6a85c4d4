// trainsim compare A.json B.json [--format text|json] [--engine analytic|simgrid] [--tokens N]
// Side by side: time per iteration and to train, time reduction %, cost per training run, energy,
// achieved FLOP/s per GPU and the FLOP/s ratio, scaling when the token budget doubles, and ROI
// when one side is on-prem and the other cloud (sim/report/compare.hpp).
#include <iostream>
#include <memory>

#include "sim/cli/command_registry.hpp"
#include "sim/cli/memory_fit.hpp"
#include "sim/report/compare.hpp"

namespace trainsim::cli {
namespace {

struct CompareArgs {
  std::string a, b;
  std::string engine;
  std::string format = "text";
  double tokens = 0, runs_per_year = 0;
  bool allow_oom = false;
};

Action setup(CLI::App& app) {
  auto x = std::make_shared<CompareArgs>();
  app.add_option("a", x->a, "scenario A (the baseline)")->required();
  app.add_option("b", x->b, "scenario B")->required();
  app.add_option("--engine", x->engine, "analytic (default: each scenario's options.engine) or simgrid");
  app.add_option("--format", x->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_option("--tokens", x->tokens,
                 "token budget of the training run for both (default: each workload's train_tokens)")
      ->check(CLI::PositiveNumber);
  app.add_option("--runs-per-year", x->runs_per_year,
                 "ROI: such training runs per year on the on-prem side (default: all its utilised hours)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--allow-oom", x->allow_oom,
               "exit 0 when a side does not fit in GPU memory (default: exit status 3, docs/errors.md)");
  return [x]() {
    const Scenario sa = load_scenario(x->a);
    const Scenario sb = load_scenario(x->b);
    const Prediction pa = predict(sa, x->engine.empty() ? sa.options.engine : x->engine);
    const Prediction pb = predict(sb, x->engine.empty() ? sb.options.engine : x->engine);
    const CompareResult r = compare_predictions(sa, pa, sb, pb, x->tokens, x->runs_per_year);
    if (x->format == "json")
      std::cout << to_json(r).dump(2) << "\n";
    else
      print_compare_text(r, std::cout);
    return memory_fit_status({{"A (" + x->a + ")", &pa.metrics.memory}, {"B (" + x->b + ")", &pb.metrics.memory}},
                             x->allow_oom, std::cerr);
  };
}

RegisterCommand reg("compare", "compare two scenarios side by side: time, cost, energy, FLOP/s, scaling, ROI", setup,
                    15);

}  // namespace
}  // namespace trainsim::cli
