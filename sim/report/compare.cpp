#include "sim/report/compare.hpp"

#include <limits>

#include "models/util/human_units.hpp"

#include "sim/metrics/activity.hpp"

#include <fmt/format.h>

#include <cmath>

#include "sim/report/report.hpp"

namespace trainsim {

namespace {

constexpr double kHoursPerYear = 8766.0;  // 365.25 days, as in models/cost/onprem_tco.cpp

/// Run-level figures of one side for a token budget of `tokens` (iteration unchanged).
EnergyCostReport with_tokens(const Scenario& sc, const Prediction& p, double tokens) {
  Scenario s = sc;
  s.workload.train_tokens = tokens;
  Metrics m = p.metrics;
  m.train_tokens = tokens;
  m.time_to_train_s = tokens / m.tokens_per_s;
  m.gpu_hours = m.time_to_train_s / 3600.0 * m.gpus;
  const ComputeModel cm(sc.cluster.gpu, load_profile_for(sc));
  return energy_cost_report(s, p.plan.strategy, activity_from_trace(p.plan, p.trace, cm, m.iteration_time_s), m,
                            p.trace.storage);
}

CompareSide side(const Scenario& sc, const Prediction& p, double tokens) {
  const Metrics& m = p.metrics;
  const EnergyCostReport r = with_tokens(sc, p, tokens);
  const EnergyCostReport r2 = with_tokens(sc, p, 2 * tokens);
  CompareSide s;
  s.scenario = m.scenario;
  s.gpu = m.gpu;
  s.strategy = m.strategy;
  s.gpus = m.gpus;
  s.cost_model = r.cost.model == "cloud" ? "cloud " + r.cost.market : r.cost.model;
  s.train_tokens = tokens;
  s.iteration_time_s = m.iteration_time_s;
  s.iteration_time_with_io_s = r.storage.iteration_time_with_io_s;
  s.time_to_train_s = r.reliability.expected.wall_s;
  s.time_to_train_ideal_s = r.reliability.ideal_time_to_train_s;
  // An unpriced GPU (CostReport::unpriced) has no cost: NaN, printed "unpriced", JSON null.
  const double unpriced = std::numeric_limits<double>::quiet_NaN();
  s.cost_usd = r.cost.unpriced ? unpriced : r.cost.usd_per_run_with_failures;
  s.usd_per_million_tokens = r.cost.unpriced ? unpriced : r.cost.run.usd_per_million_tokens;
  s.energy_kwh = r.energy.run_kwh_with_failures;
  s.co2_kg = r.energy.co2_kg_with_failures;
  // Achieved FLOP/s over the iteration with I/O stalls (what the job really sustains).
  const double stretch = m.iteration_time_s / s.iteration_time_with_io_s;
  s.model_tflops_per_gpu = m.model_tflops_per_gpu * stretch;
  s.job_pflops = s.model_tflops_per_gpu * m.gpus / 1e3;
  s.mfu = m.mfu * stretch;
  s.memory_gb = m.memory.parts.total() / 1e9;
  s.memory_capacity_gb = m.memory.capacity / 1e9;
  s.fits = m.memory.fits;
  s.time_to_train_2x_s = r2.reliability.expected.wall_s;
  s.cost_2x_usd = r2.cost.unpriced ? unpriced : r2.cost.usd_per_run_with_failures;
  s.energy_2x_kwh = r2.energy.run_kwh_with_failures;
  return s;
}

double reduction_pct(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();  // unpriced
  return a > 0 ? (1.0 - b / a) * 100.0 : 0.0;
}

/// ROI of buying the on-prem side instead of renting the cloud side: investment = the on-prem
/// job's capex; each training run saves the cloud cost minus the on-prem operating cost
/// (maintenance + electricity; the capital is the investment); runs per year = the on-prem
/// utilisation x 8766 h / its expected wall time; horizon = the amortisation period (5 years).
void add_roi(CompareResult& r, const Scenario& so, const Prediction& po, const CompareSide& onprem,
             const CompareSide& cloud, double runs_per_year) {
  const EnergyCostReport e = with_tokens(so, po, onprem.train_tokens);
  const double wall_h = e.reliability.expected.wall_s / 3600.0;
  if (wall_h <= 0) return;
  RoiInputs in;
  in.initial_investment_usd = e.cost.capex_usd;
  const double operating = (e.cost.onprem_maintenance_usd_per_hour + e.cost.onprem_energy_usd_per_hour) * wall_h;
  in.savings_per_project_usd = cloud.cost_usd - operating;
  in.projects_per_year = runs_per_year > 0 ? runs_per_year : e.cost.onprem_utilisation * kHoursPerYear / wall_h;
  r.runs_per_year_stated = runs_per_year > 0;
  in.horizon_years = 5;
  r.roi_inputs = in;
  r.roi = roi(in);
}

}  // namespace

CompareResult compare_predictions(const Scenario& sa, const Prediction& pa, const Scenario& sb, const Prediction& pb,
                                  double train_tokens, double runs_per_year) {
  CompareResult r;
  const double ta = train_tokens > 0 ? train_tokens : sa.workload.train_tokens;
  const double tb = train_tokens > 0 ? train_tokens : sb.workload.train_tokens;
  r.a = side(sa, pa, ta);
  r.b = side(sb, pb, tb);
  r.iteration_time_reduction_pct = reduction_pct(r.a.iteration_time_with_io_s, r.b.iteration_time_with_io_s);
  r.time_reduction_pct = reduction_pct(r.a.time_to_train_s, r.b.time_to_train_s);
  r.cost_reduction_pct = reduction_pct(r.a.cost_usd, r.b.cost_usd);
  r.energy_reduction_pct = reduction_pct(r.a.energy_kwh, r.b.energy_kwh);
  r.flops_per_gpu_ratio = r.a.model_tflops_per_gpu > 0 ? r.b.model_tflops_per_gpu / r.a.model_tflops_per_gpu : 0;
  r.job_flops_ratio = r.a.job_pflops > 0 ? r.b.job_pflops / r.a.job_pflops : 0;
  const bool a_on = r.a.cost_model == "on_prem", b_on = r.b.cost_model == "on_prem";
  if (a_on != b_on) {
    r.roi_side = a_on ? "a" : "b";
    if (a_on)
      add_roi(r, sa, pa, r.a, r.b, runs_per_year);
    else
      add_roi(r, sb, pb, r.b, r.a, runs_per_year);
  }
  return r;
}

namespace {

nlohmann::json side_json(const CompareSide& s) {
  return {{"scenario", s.scenario},
          {"gpu", s.gpu},
          {"gpus", s.gpus},
          {"strategy", s.strategy},
          {"cost_model", s.cost_model},
          {"train_tokens", s.train_tokens},
          {"iteration_time_s", s.iteration_time_s},
          {"iteration_time_with_io_s", s.iteration_time_with_io_s},
          {"time_to_train_s", s.time_to_train_s},
          {"time_to_train_days", s.time_to_train_s / 86400.0},
          {"time_to_train_failure_free_s", s.time_to_train_ideal_s},
          {"cost_per_run_usd", s.cost_usd},
          {"usd_per_million_tokens", s.usd_per_million_tokens},
          {"energy_kwh", s.energy_kwh},
          {"co2_kg", s.co2_kg},
          {"model_tflops_per_gpu", s.model_tflops_per_gpu},
          {"job_pflops", s.job_pflops},
          {"mfu", s.mfu},
          {"memory_gb", s.memory_gb},
          {"memory_capacity_gb", s.memory_capacity_gb},
          {"fits", s.fits},
          {"doubled_dataset",
           {{"time_to_train_s", s.time_to_train_2x_s},
            {"cost_per_run_usd", s.cost_2x_usd},
            {"energy_kwh", s.energy_2x_kwh},
            {"time_factor", s.time_to_train_s > 0 ? s.time_to_train_2x_s / s.time_to_train_s : 0.0},
            {"cost_factor", s.cost_usd > 0 ? s.cost_2x_usd / s.cost_usd : 0.0},
            {"energy_factor", s.energy_kwh > 0 ? s.energy_2x_kwh / s.energy_kwh : 0.0}}}};
}

}  // namespace

nlohmann::json to_json(const CompareResult& r) {
  nlohmann::json j = {{"a", side_json(r.a)},
                      {"b", side_json(r.b)},
                      {"comparison",
                       {{"iteration_time_reduction_pct", r.iteration_time_reduction_pct},
                        {"time_reduction_pct", r.time_reduction_pct},
                        {"cost_reduction_pct", r.cost_reduction_pct},
                        {"energy_reduction_pct", r.energy_reduction_pct},
                        {"flops_per_gpu_ratio", r.flops_per_gpu_ratio},
                        {"job_flops_ratio", r.job_flops_ratio}}}};
  if (r.roi) {
    const double payback = r.roi->payback_years;
    j["comparison"]["roi"] = {
        {"on_prem_side", r.roi_side},
        {"investment_usd", r.roi_inputs->initial_investment_usd},
        {"savings_per_run_usd", r.roi_inputs->savings_per_project_usd},
        {"runs_per_year", r.roi_inputs->projects_per_year},
        {"horizon_years", r.roi_inputs->horizon_years},
        {"annual_net_savings_usd", r.roi->annual_net_savings_usd},
        {"payback_years", std::isfinite(payback) ? nlohmann::json(payback) : nlohmann::json(nullptr)},
        {"roi_percent", r.roi->roi_percent}};
  }
  return j;
}

void print_compare_text(const CompareResult& r, std::ostream& out) {
  const auto& a = r.a;
  const auto& b = r.b;
  out << fmt::format("trainsim compare\n  A: {} — {} x {}, {} ({})\n  B: {} — {} x {}, {} ({})\n\n", a.scenario, a.gpus,
                     a.gpu, a.strategy, a.cost_model, b.scenario, b.gpus, b.gpu, b.strategy, b.cost_model);
  out << fmt::format("  {:<36}{:>16}{:>16}{:>16}\n", "", "A", "B", "B vs A");
  auto row = [&](const char* name, const std::string& va, const std::string& vb, const std::string& d) {
    out << fmt::format("  {:<36}{:>16}{:>16}{:>16}\n", name, va, vb, d);
  };
  auto ratio = [](double x, double y) {
    return x > 0 && std::isfinite(y) ? fmt::format("x{:.3f}", y / x) : std::string("-");
  };
  auto red = [](double pct) { return std::isfinite(pct) ? fmt::format("{:+.1f}%", -pct) : std::string("-"); };
  auto usd = [](double x) { return std::isnan(x) ? std::string("unpriced") : fmt::format("{:.4g}", x); };
  auto memory = [](const CompareSide& x) {
    return fmt::format("{:.1f}/{:.0f}{}", x.memory_gb, x.memory_capacity_gb, x.fits ? "" : " NO FIT");
  };
  row("memory per GPU (GB)", memory(a), memory(b), a.fits && b.fits ? "" : "DOES NOT FIT");
  row("time per iteration (with I/O)", human_seconds(a.iteration_time_with_io_s),
      human_seconds(b.iteration_time_with_io_s), red(r.iteration_time_reduction_pct));
  row("time to train (expected)", human_seconds(a.time_to_train_s), human_seconds(b.time_to_train_s),
      red(r.time_reduction_pct));
  row("cost per training run (USD)", human_usd(a.cost_usd), human_usd(b.cost_usd), red(r.cost_reduction_pct));
  row("cost per 1M tokens (USD)", usd(a.usd_per_million_tokens), usd(b.usd_per_million_tokens),
      ratio(a.usd_per_million_tokens, b.usd_per_million_tokens));
  row("energy per run (MWh)", fmt::format("{:.4g}", a.energy_kwh / 1e3), fmt::format("{:.4g}", b.energy_kwh / 1e3),
      red(r.energy_reduction_pct));
  row("CO2 per run (t)", fmt::format("{:.4g}", a.co2_kg / 1e3), fmt::format("{:.4g}", b.co2_kg / 1e3),
      ratio(a.co2_kg, b.co2_kg));
  row("achieved TFLOP/s per GPU", fmt::format("{:.1f}", a.model_tflops_per_gpu),
      fmt::format("{:.1f}", b.model_tflops_per_gpu), fmt::format("x{:.3f}", r.flops_per_gpu_ratio));
  row("achieved PFLOP/s, whole job", fmt::format("{:.3f}", a.job_pflops), fmt::format("{:.3f}", b.job_pflops),
      fmt::format("x{:.3f}", r.job_flops_ratio));
  out << fmt::format("\n  doubling the token budget ({:.3g} -> {:.3g} tokens):\n", a.train_tokens, 2 * a.train_tokens);
  row("time to train", human_seconds(a.time_to_train_2x_s), human_seconds(b.time_to_train_2x_s),
      ratio(a.time_to_train_2x_s, b.time_to_train_2x_s));
  row("  factor vs 1x", ratio(a.time_to_train_s, a.time_to_train_2x_s), ratio(b.time_to_train_s, b.time_to_train_2x_s),
      "");
  row("cost per training run (USD)", human_usd(a.cost_2x_usd), human_usd(b.cost_2x_usd),
      ratio(a.cost_2x_usd, b.cost_2x_usd));
  row("energy per run (MWh)", fmt::format("{:.4g}", a.energy_2x_kwh / 1e3),
      fmt::format("{:.4g}", b.energy_2x_kwh / 1e3), ratio(a.energy_2x_kwh, b.energy_2x_kwh));
  if (r.roi) {
    const auto& in = *r.roi_inputs;
    out << fmt::format("\n  ROI of buying {} instead of renting {} ({}-year horizon):\n", r.roi_side == "a" ? "A" : "B",
                       r.roi_side == "a" ? "B" : "A", in.horizon_years);
    out << fmt::format("    investment {}; each run saves {} (cloud cost - on-prem maintenance and energy);\n",
                       human_usd(in.initial_investment_usd), human_usd(in.savings_per_project_usd));
    out << fmt::format("    {:.1f} runs per year -> net savings {}/year, payback {:.2f} years, ROI {:.0f}%\n",
                       in.projects_per_year, human_usd(r.roi->annual_net_savings_usd), r.roi->payback_years,
                       r.roi->roi_percent);
    if (!r.runs_per_year_stated)
      out << "    (runs per year: as many as the on-prem utilisation leaves room for, i.e. the cluster does nothing\n"
             "     but this job; --runs-per-year N for a shared cluster)\n";
  }
  for (const auto* x : {&a, &b})
    if (!x->fits)
      out << fmt::format(
          "\n  {} DOES NOT FIT in GPU memory ({:.1f} of {:.0f} GB): its times, cost and energy are what it would take "
          "if it fitted.\n",
          x == &a ? "A (the baseline)" : "B", x->memory_gb, x->memory_capacity_gb);
}

}  // namespace trainsim
