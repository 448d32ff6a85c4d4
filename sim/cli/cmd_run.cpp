// trainsim run SCENARIO.json [--engine analytic|simgrid] [--format text|json|csv] [--trace FILE] [--allow-oom]
//   Exit status 3 when the configuration does not fit in GPU memory (sim/cli/memory_fit.hpp).
//   [--inject-failures SEED [--iterations N]]   (simgrid engine: whole run with seeded failures)
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "sim/cli/command_registry.hpp"
#include "sim/cli/memory_fit.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/report/report.hpp"
#include "sim/simgrid/link_report.hpp"
#ifdef TRAINSIM_HAVE_SIMGRID
#include "sim/simgrid/failure_run_report.hpp"
#endif

namespace trainsim::cli {
namespace {

struct RunArgs {
  std::string scenario;
  std::string engine;
  std::string format = "text";
  std::string trace_file;
  bool link_report = false;
  bool checkpoint_in_iteration = false;
  std::uint64_t failure_seed = 0;
  bool inject_failures = false;
  std::int64_t iterations = 0;  ///< 0: the workload's token budget
  bool allow_oom = false;
};

/// Fails before the (possibly long) simulation when --inject-failures cannot be honoured.
void check_failure_options(const RunArgs& a, const std::string& engine) {
  // The analytic engine has no storage flows to put a checkpoint among (#21: it was silently ignored).
  if (a.checkpoint_in_iteration && engine != "simgrid")
    throw InputError("--checkpoint-in-iteration", "--engine simgrid (the checkpoint is written as flows on the fabric)",
                     "engine " + engine);
  if (!a.inject_failures) return;
#ifndef TRAINSIM_HAVE_SIMGRID
  throw InputError("--inject-failures", "a trainsim built with SimGrid", "a build without the simgrid engine");
#endif
  if (engine != "simgrid")
    throw InputError("--inject-failures", "--engine simgrid (the run is replayed in SimGrid)", "engine " + engine);
  if (a.format == "csv") throw InputError("--format", "text or json with --inject-failures", "csv");
}

Action setup(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  app.add_option("scenario", a->scenario, "scenario JSON file")->required();
  app.add_option("--engine", a->engine, "analytic (default: the scenario's options.engine) or simgrid");
  app.add_option("--format", a->format, "text, json or csv")->check(CLI::IsMember({"text", "json", "csv"}));
  app.add_option("--trace", a->trace_file, "write a Chrome/Perfetto trace of the iteration to this file");
  app.add_flag("--allow-oom", a->allow_oom,
               "exit 0 when the configuration does not fit in GPU memory (default: exit status 3, docs/errors.md)");
  app.add_flag("--link-report", a->link_report,
               "print bytes and utilisation per link class and the 10 busiest links (simgrid engine)");
  app.add_flag(
      "--checkpoint-in-iteration", a->checkpoint_in_iteration,
      "simgrid engine, storage on the fabric: also write one checkpoint to the storage servers during the iteration");
  auto* inject = app.add_option_function<std::uint64_t>(
      "--inject-failures",
      [a](const std::uint64_t& seed) {
        a->inject_failures = true;
        a->failure_seed = seed;
      },
      "simgrid engine: replay the whole training run with failures drawn from this seed (checkpoints, lost work, "
      "restarts; docs/simgrid-engine.md#failure-injection)");
  // Digits only: CLI11 would wrap "-1" to 2^64 - 1 (an unsigned conversion) instead of refusing it.
  inject->type_name("SEED")->check(CLI::Validator(
      [](std::string& v) {
        return !v.empty() && v.find_first_not_of("0123456789") == std::string::npos
                   ? std::string()
                   : "expected a non-negative integer seed, found " + v;
      },
      "SEED"));
  app.add_option("--iterations", a->iterations,
                 "with --inject-failures: iterations of the run (default: the workload's train_tokens)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000000000}))
      ->needs(inject);
  return [a]() {
    Scenario sc = load_scenario(a->scenario);
    sc.options.checkpoint_in_iteration = a->checkpoint_in_iteration;
    const std::string engine = a->engine.empty() ? sc.options.engine : a->engine;
    check_failure_options(*a, engine);
    LinkStatsObserver links;
    std::vector<ExecutionObserver*> observers;
    if (a->link_report) observers.push_back(&links);
    Prediction p = predict(sc, engine, observers);
    if (!a->trace_file.empty()) {
      std::ofstream out(a->trace_file);
      if (!out) throw InputError("--trace", "a writable file", "\"" + a->trace_file + "\"");
      write_chrome_trace(p.trace, out);
    }
    nlohmann::json j = to_json(p.metrics);
#ifdef TRAINSIM_HAVE_SIMGRID
    std::optional<FailureRun> failures;
    if (a->inject_failures) failures = simulate_failure_run(sc, p.metrics, a->failure_seed, a->iterations);
    if (failures) j["failure_injection"] = failure_run_json(*failures);
#endif
    if (a->format == "json")
      std::cout << j.dump(2) << "\n";
    else if (a->format == "csv")
      print_csv(p.metrics, std::cout);
    else
      print_text(p.metrics, std::cout);
#ifdef TRAINSIM_HAVE_SIMGRID
    if (failures && a->format == "text") print_failure_run_text(*failures, std::cout);
#endif
    if (a->link_report) print_link_report(links.stats, std::cout);
    return memory_fit_status({{a->scenario, &p.metrics.memory}}, a->allow_oom, std::cerr);
  };
}

RegisterCommand reg("run", "predict one training iteration of a scenario and report time, throughput, memory", setup,
                    10);

}  // namespace
}  // namespace trainsim::cli
