// trainsim report SCENARIO.json [MORE.json ...] [--sweep RESULTS.jsonl] [--search SEARCH.json] --out DIR
#include <unistd.h>

#include <iostream>
#include <memory>

#include "sim/cli/command_registry.hpp"
#include "sim/report/html_report.hpp"

namespace trainsim::cli {
namespace {

Action setup(CLI::App& app) {
  auto a = std::make_shared<ReportInputs>();
  app.add_option("scenarios", a->scenarios, "scenario JSON files (the breakdown bars put them side by side)")
      ->required();
  app.add_option("--out", a->out_dir, "output folder (created): index.html, pictures as SVG and PNG, data, scripts")
      ->required();
  app.add_option("--sweep", a->sweep, "sweep results (JSON lines, trainsim sweep) for the scaling curves");
  app.add_option("--x", a->scaling_x,
                 "sweep parameter on the scaling plot's x axis (default cluster.gpus, else the first varying one)");
  app.add_option("--search", a->search, "trainsim search --format json output for the time-vs-cost Pareto plot");
  app.add_option("--engine", a->engine, "analytic (default: each scenario's options.engine) or simgrid");
  app.add_option("--max-boxes", a->timeline.max_boxes,
                 "timeline: most boxes drawn; beyond, the start and end of the iteration")
      ->check(CLI::PositiveNumber);
  app.add_option("--boxes-per-row", a->timeline.boxes_per_row,
                 "timeline: most boxes per row for readability (default 120, 0: no limit)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--all-ranks", a->timeline.all_ranks, "timeline: every traced rank instead of one per pipeline stage");
  app.add_flag("!--no-render", a->render, "write data files and gnuplot scripts only (do not run gnuplot)");
  return [a]() {
    a->progress = isatty(STDERR_FILENO) != 0;
    const ReportOutput out = build_report(*a);
    std::cout << "wrote " << out.index_html << "\n";
    for (const auto& p : out.plots)
      std::cout << "  " << p.name << (a->render ? ".svg/.png" : ".gp") << "  " << p.rows << " rows"
                << (p.note.empty() ? "" : "  (" + p.note.substr(0, p.note.size() - 1) + ")") << "\n";
    // A report is a document: scenarios that do not fit are marked in it and counted here.
    if (!out.not_fitting.empty()) {
      std::cout << out.not_fitting.size() << " of " << a->scenarios.size()
                << " scenarios DO NOT FIT in GPU memory (marked in the report):";
      for (const auto& f : out.not_fitting) std::cout << " " << f;
      std::cout << "\n";
    }
    return 0;
  };
}

RegisterCommand reg("report",
                    "pictures (gnuplot: timeline, breakdown, scaling, Pareto) and an HTML report of scenarios", setup,
                    16);

}  // namespace
}  // namespace trainsim::cli
