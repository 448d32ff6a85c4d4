// trainsim size SCENARIO.json --deadline 30d [--cluster FILE ...] [--gpu NAME ...] [--max-gpus N]
//                             [--format text|json]
// The smallest cluster that trains the scenario's workload (its train_tokens) within the deadline,
// for each cluster design (the scenario's and every --cluster file) and GPU type (--gpu), with the
// best strategy, cost, energy and the storage bandwidth it needs (sim/search/sizing.hpp).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "sim/cli/command_registry.hpp"
#include "sim/search/duration.hpp"
#include "sim/search/sizing.hpp"

namespace trainsim::cli {
namespace {

struct SizeArgs {
  std::string scenario, deadline, format = "text";
  std::vector<std::string> clusters, gpus;
  int max_gpus = 65536;
};

void print_text(const SizingResult& r, std::ostream& os) {
  os << fmt::format("smallest cluster to train within {:.1f} days:\n\n", r.deadline_s / 86400.0);
  std::size_t w = 12;
  for (const auto& row : r.rows) w = std::max(w, row.label.size());
  os << fmt::format("  {:<{}} {:>6} {:<58} {:>6} {:>12} {:>9} {:>9} {:>9}\n", "design / GPU", w, "GPUs", "strategy",
                    "days", "USD", "MWh", "data GB/s", "ckpt GB/s");
  for (const auto& row : r.rows) {
    if (!row.found) {
      os << fmt::format("  {:<{}} {:>6}  no strategy meets the deadline up to {} GPUs\n", row.label, w, "-",
                        row.largest_tried);
      continue;
    }
    os << fmt::format("  {:<{}} {:>6} {:<58} {:>6.1f} {:>12.0f} {:>9.1f} {:>9.3f} {:>9.1f}\n", row.label, w, row.gpus,
                      describe_strategy(row.strategy), row.time_to_train_s / 86400.0, row.cost_usd,
                      row.energy_kwh / 1e3, row.data_loading_gb_per_s, row.checkpoint_gb_per_s);
  }
  if (r.smallest)
    os << "\nsmallest: " << r.rows[*r.smallest].label << " with " << r.rows[*r.smallest].gpus << " GPUs\n";
  if (r.cheapest)
    os << "cheapest: " << r.rows[*r.cheapest].label << fmt::format(" at {:.0f} USD\n", r.rows[*r.cheapest].cost_usd);
  os << "(storage: data-loading read bandwidth at the achieved token rate; checkpoint write bandwidth for at most 2%\n"
        " checkpoint overhead at Daly's optimal interval)\n";
}

Action setup(CLI::App& app) {
  auto x = std::make_shared<SizeArgs>();
  app.add_option("scenario", x->scenario,
                 "scenario JSON file: workload with train_tokens, base cluster design and strategy knobs")
      ->required();
  app.add_option("--deadline", x->deadline, "train within this (30d, 720h, seconds)")->required();
  app.add_option("--cluster", x->clusters, "another cluster design (JSON file) to size; repeatable");
  app.add_option("--gpu", x->gpus, "GPU types to try in every design (catalog names); repeatable");
  app.add_option("--max-gpus", x->max_gpus, "largest cluster to consider")->check(CLI::PositiveNumber);
  app.add_option("--format", x->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  return [x]() {
    const double deadline = parse_duration(x->deadline, "--deadline");
    const auto raw = read_json_file(x->scenario);
    const std::string dir = std::filesystem::path(x->scenario).parent_path().string();
    const auto base = inline_scenario_parts(raw, x->scenario, dir);
    std::vector<nlohmann::json> clusters{base.at("cluster")};
    for (const auto& f : x->clusters) clusters.push_back(read_json_file(f));
    std::vector<SizingDesign> designs;
    for (const auto& c : clusters) {
      const std::string name = c.value("name", "cluster");
      if (x->gpus.empty()) {
        designs.push_back({name + " / " + c.value("gpu", "?"), c});
        continue;
      }
      for (const auto& g : x->gpus) {
        nlohmann::json cc = c;
        cc["gpu"] = g;
        designs.push_back({name + " / " + g, cc});
      }
    }
    const SizingResult r =
        size_cluster(base, x->scenario, dir, designs, deadline, x->max_gpus, isatty(STDERR_FILENO) != 0);
    if (x->format == "json")
      std::cout << to_json(r).dump(2) << "\n";
    else
      print_text(r, std::cout);
    return 0;
  };
}

RegisterCommand reg("size", "smallest cluster (GPUs, type, fabric, storage bandwidth) to train within a deadline",
                    setup, 32);

}  // namespace
}  // namespace trainsim::cli
