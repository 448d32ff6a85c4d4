// trainsim run SCENARIO.json [--engine analytic|simgrid] [--format text|json|csv] [--trace FILE]
#include <fstream>
#include <iostream>
#include <memory>

#include "sim/analytic/predict.hpp"
#include "sim/cli/command_registry.hpp"
#include "sim/report/report.hpp"
#include "sim/simgrid/link_report.hpp"

namespace trainsim::cli {
namespace {

struct RunArgs {
  std::string scenario;
  std::string engine;
  std::string format = "text";
  std::string trace_file;
  bool link_report = false;
  bool checkpoint_in_iteration = false;
};

Action setup(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  app.add_option("scenario", a->scenario, "scenario JSON file")->required();
  app.add_option("--engine", a->engine, "analytic (default: the scenario's options.engine) or simgrid");
  app.add_option("--format", a->format, "text, json or csv")->check(CLI::IsMember({"text", "json", "csv"}));
  app.add_option("--trace", a->trace_file, "write a Chrome/Perfetto trace of the iteration to this file");
  app.add_flag("--link-report", a->link_report, "print bytes and utilisation per link class and the 10 busiest links (simgrid engine)");
  app.add_flag("--checkpoint-in-iteration", a->checkpoint_in_iteration,
               "simgrid engine, storage on the fabric: also write one checkpoint to the storage servers during the iteration");
  return [a]() {
    Scenario sc = load_scenario(a->scenario);
    sc.options.checkpoint_in_iteration = a->checkpoint_in_iteration;
    const std::string engine = a->engine.empty() ? sc.options.engine : a->engine;
    LinkStatsObserver links;
    std::vector<ExecutionObserver*> observers;
    if (a->link_report) observers.push_back(&links);
    Prediction p = predict(sc, engine, observers);
    if (!a->trace_file.empty()) {
      std::ofstream out(a->trace_file);
      if (!out) throw InputError("--trace", "a writable file", "\"" + a->trace_file + "\"");
      write_chrome_trace(p.trace, out);
    }
    if (a->format == "json")
      std::cout << to_json(p.metrics).dump(2) << "\n";
    else if (a->format == "csv")
      print_csv(p.metrics, std::cout);
    else
      print_text(p.metrics, std::cout);
    if (a->link_report) print_link_report(links.stats, std::cout);
    return 0;
  };
}

RegisterCommand reg("run", "predict one training iteration of a scenario and report time, throughput, memory", setup, 10);

}  // namespace
}  // namespace trainsim::cli
