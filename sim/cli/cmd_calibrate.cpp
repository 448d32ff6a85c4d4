// trainsim calibrate --runs FILE [--runs FILE2 ...] [--scenario S.json ...] [--only PREFIX] [--out PROFILE.json]
//                    [--engine analytic|fast] [--ridge R] [--no-loo] [--format text|json]
// Fits efficiency factors (compute per GPU type, intra-node and inter-node bus) to measured runs
// (sim/validate/run_calibration.hpp) and writes them as a calibration profile.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "models/util/json_reader.hpp"
#include "sim/cli/command_registry.hpp"
#include "sim/validate/run_calibration.hpp"

namespace trainsim::cli {
namespace {

struct Args {
  std::vector<std::string> runs, scenarios;
  std::string only, out, format = "text";
  CalibrationOptions opt;
  bool no_loo = false;
};

/// Whether a file holds published-run records (its first non-blank line is a JSON object).
bool is_records(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InputError("--runs", "a readable file", "\"" + file + "\"");
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find_first_not_of(" \t\r");
    if (at == std::string::npos) continue;
    if (line[at] != '{') return false;
    try {
      return nlohmann::json::parse(line).is_object();
    } catch (const nlohmann::json::exception&) {
      return false;
    }
  }
  return false;
}

void print_text(const CalibrationResult& r, std::ostream& out) {
  out << fmt::format("{:<42} {:>11} {:>9} {:>9} {:>14}\n", "run", "measured s", "default", "fitted", "leave-one-out");
  for (const auto& e : r.runs)
    out << fmt::format("{:<42} {:>11.4g} {:>+8.1f}% {:>+8.1f}% {:>+13.1f}%\n", e.id, e.measured_s, e.before_pct,
                       e.fitted_pct, e.loo_pct);
  out << fmt::format("\nMAPE over {} runs: default models {:.2f}%, fitted {:.2f}% (in sample), leave-one-out {:.2f}%\n",
                     r.runs.size(), r.mape_before, r.mape_fitted, r.mape_loo);
  out << "\nfactors (x the datasheet figure):\n";
  for (std::size_t j = 0; j < r.parameters.size(); ++j)
    out << fmt::format("  {:<32} {:.3f}\n", r.parameters[j], r.factors[j]);
  for (const auto& n : r.notes) out << "  note: " << n << "\n";
}

Action setup(CLI::App& app) {
  auto a = std::make_shared<Args>();
  app.add_option("--runs", a->runs,
                 "measured runs: a published-runs JSON-lines file (validation/SCHEMA.md), or a Megatron-LM / NeMo / "
                 "torchtitan training log (then give its --scenario, in the same order)")
      ->required();
  app.add_option("--scenario", a->scenarios, "the scenario each training log ran, in the order of the logs");
  app.add_option("--only", a->only, "keep only records whose id starts with this prefix");
  app.add_option("--out", a->out, "write the fitted factors as a calibration profile (options.profile of a scenario)");
  app.add_option("--engine", a->opt.engine, "evaluator of the fit: analytic (default) or fast (the closed-form scorer)")
      ->check(CLI::IsMember({"analytic", "fast"}));
  app.add_option("--ridge", a->opt.ridge, "weight of the pull toward the datasheet models (default 0.05)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_flag("--no-loo", a->no_loo, "skip the leave-one-out refits");
  app.add_option("--format", a->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  return [a]() {
    a->opt.leave_one_out = !a->no_loo;
    std::vector<MeasuredRun> runs;
    std::vector<std::string> skipped;
    std::size_t log_index = 0;
    for (const auto& f : a->runs) {
      if (is_records(f)) {
        for (auto& r : runs_from_records(f, a->only, skipped)) runs.push_back(std::move(r));
        continue;
      }
      if (log_index >= a->scenarios.size())
        throw InputError("--scenario", "one scenario per training log (" + f + " has none)",
                         std::to_string(a->scenarios.size()) + " given");
      runs.push_back(run_from_log(f, a->scenarios[log_index++]));
    }
    if (runs.empty()) throw InputError("--runs", "at least one run that can be predicted", "none");
    const CalibrationResult res = calibrate_from_runs(runs, a->opt);
    if (!a->out.empty()) {
      CalibrationProfile p;
      p.device = "runs";
      p.device_name = fmt::format("efficiency factors fitted from {} measured runs", runs.size());
      p.efficiency = res.efficiency();
      std::ofstream f(a->out);
      f << p.to_json().dump(2) << "\n";
      if (!f) throw InputError("--out", "a writable file", a->out);
    }
    if (a->format == "json") {
      nlohmann::json j = to_json(res);
      j["skipped"] = skipped;
      std::cout << j.dump(2) << "\n";
    } else {
      print_text(res, std::cout);
      for (const auto& s : skipped) std::cout << "  skipped: " << s << "\n";
      if (!a->out.empty()) std::cout << "\nprofile written to " << a->out << " (set options.profile in a scenario)\n";
    }
    return 0;
  };
}

RegisterCommand reg("calibrate",
                    "fit compute and link efficiency factors to measured runs (records or training logs) and write "
                    "them as a calibration profile",
                    setup, 21);

}  // namespace
}  // namespace trainsim::cli
