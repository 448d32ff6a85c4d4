#include "sim/validate/run_calibration.hpp"

#include <fmt/format.h>
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <set>

#include "models/util/json_reader.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/scenario/scenario_profile.hpp"
#include "sim/validate/validate.hpp"

namespace trainsim {

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// A parameter of the fit: which factor of EfficiencyFactors it is.
struct Param {
  enum Kind { Compute, Intra, Inter } kind;
  std::string gpu;  ///< for Compute
  std::string name() const { return kind == Compute ? "compute " + gpu : kind == Intra ? "intra_node" : "inter_node"; }
};

EfficiencyFactors factors_of(const std::vector<Param>& params, const Eigen::VectorXd& log_theta) {
  EfficiencyFactors e;
  for (std::size_t j = 0; j < params.size(); ++j) {
    const double f = std::exp(log_theta[static_cast<Eigen::Index>(j)]);
    switch (params[j].kind) {
      case Param::Compute: e.compute[params[j].gpu] = f; break;
      case Param::Intra: e.intra_node = f; break;
      case Param::Inter: e.inter_node = f; break;
    }
  }
  return e;
}

/// The runs' scenarios, parsed once, and their predicted times under factors.
class RunModel {
 public:
  RunModel(const std::vector<MeasuredRun>& runs, std::string engine) : engine_(std::move(engine)) {
    for (const auto& r : runs) scenarios_.push_back(parse_scenario(r.scenario, r.id, "."));
  }
  double time(std::size_t i, const EfficiencyFactors& e) const {
    Scenario sc = scenarios_[i];
    apply_efficiency(e, sc.cluster);
    if (engine_ == "fast") return evaluator_registry().at("fast")(sc).iteration_time_s;
    return predict(sc, engine_).metrics.iteration_time_s;
  }
  const Scenario& scenario(std::size_t i) const { return scenarios_[i]; }

 private:
  std::string engine_;
  std::vector<Scenario> scenarios_;
};

/// Residuals log(T_pred / T_meas) of `rows` and their Jacobian in log factors (forward differences).
void linearise(const RunModel& model, const std::vector<MeasuredRun>& runs, const std::vector<std::size_t>& rows,
               const std::vector<Param>& params, const Eigen::VectorXd& p, Eigen::VectorXd& r, Eigen::MatrixXd& J) {
  constexpr double h = 0.05;  // 5% steps: well above the engines' numerical noise
  const auto n = static_cast<Eigen::Index>(rows.size()), m = static_cast<Eigen::Index>(params.size());
  r.resize(n);
  J.resize(n, m);
  for (Eigen::Index i = 0; i < n; ++i) {
    const std::size_t run = rows[static_cast<std::size_t>(i)];
    const double base = std::log(model.time(run, factors_of(params, p)));
    r[i] = base - std::log(runs[run].measured_s);
    for (Eigen::Index j = 0; j < m; ++j) {
      Eigen::VectorXd q = p;
      q[j] += h;
      J(i, j) = (std::log(model.time(run, factors_of(params, q))) - base) / h;
    }
  }
}

/// Ridge-regularised Gauss-Newton from `p` over `rows` (log factors kept within [1/4, 4]).
Eigen::VectorXd fit(const RunModel& model, const std::vector<MeasuredRun>& runs, const std::vector<std::size_t>& rows,
                    const std::vector<Param>& params, Eigen::VectorXd p, double ridge, int iterations,
                    Eigen::MatrixXd* jacobian = nullptr) {
  const auto m = static_cast<Eigen::Index>(params.size());
  Eigen::VectorXd r;
  Eigen::MatrixXd J;
  for (int it = 0; it < iterations; ++it) {
    linearise(model, runs, rows, params, p, r, J);
    const Eigen::MatrixXd A = J.transpose() * J + ridge * Eigen::MatrixXd::Identity(m, m);
    const Eigen::VectorXd g = J.transpose() * r + ridge * p;
    const Eigen::VectorXd step = -A.ldlt().solve(g);
    p = (p + step).cwiseMax(std::log(0.25)).cwiseMin(std::log(4.0));
    if (step.cwiseAbs().maxCoeff() < 1e-3) break;
  }
  if (jacobian) {
    linearise(model, runs, rows, params, p, r, J);
    *jacobian = J;
  }
  return p;
}

double pct(double predicted, double measured) { return (predicted - measured) / measured * 100.0; }

}  // namespace

EfficiencyFactors CalibrationResult::efficiency() const {
  EfficiencyFactors e;
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    const auto& n = parameters[j];
    if (n.rfind("compute ", 0) == 0)
      e.compute[n.substr(8)] = factors[j];
    else if (n == "intra_node")
      e.intra_node = factors[j];
    else if (n == "inter_node")
      e.inter_node = factors[j];
  }
  e.fitted_from = to_json(*this);
  return e;
}

std::vector<MeasuredRun> runs_from_records(const std::string& file, const std::string& only_prefix,
                                           std::vector<std::string>& skipped) {
  std::vector<MeasuredRun> out;
  for (const auto& rec : load_published_records(file)) {
    if (!only_prefix.empty() && rec.id.rfind(only_prefix, 0) != 0) continue;
    if (rec.kind != "run") continue;
    const ValidationRow row = validate_record(rec, {});
    if (!row.predicted || !(*row.predicted > 0) || !(row.iteration_time_s > 0)) {
      skipped.push_back(rec.id + ": " + (row.skipped_reason.empty() ? "not predicted" : row.skipped_reason));
      continue;
    }
    MeasuredRun run;
    run.id = rec.id;
    run.scenario = row.scenario;
    // Every metric but the iteration time is a rate of a fixed amount of work per iteration.
    run.measured_s = rec.metric == "iteration_time_s" ? rec.value : row.iteration_time_s * *row.predicted / rec.value;
    run.origin = file + " (" + rec.metric + " " + fmt::format("{:g}", rec.value) + ")";
    out.push_back(std::move(run));
  }
  return out;
}

MeasuredRun run_from_log(const std::string& log_file, const std::string& scenario_file, int warmup) {
  std::ifstream in(log_file);
  if (!in) throw InputError(log_file, "a readable training log", "no such file or it cannot be opened");
  // Megatron-LM training_log(): "elapsed time per iteration (ms): 1234.5"; NeMo's Lightning
  // logger: "train_step_timing in s: 1.23" (or "=1.23"); torchtitan's metrics line: "tps: 3,456"
  // (tokens per second per GPU).
  const std::regex megatron(R"(elapsed time per iteration \(ms\):\s*([0-9.]+))");
  const std::regex nemo(R"(train_step_timing in s\s*[:=]\s*([0-9.]+))");
  const std::regex titan(R"(\btps:\s*([0-9][0-9,]*(?:\.[0-9]+)?))");
  std::vector<double> seconds, tps;
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, megatron))
      seconds.push_back(std::stod(m[1]) / 1000.0);
    else if (std::regex_search(line, m, nemo))
      seconds.push_back(std::stod(m[1]));
    else if (std::regex_search(line, m, titan)) {
      std::string v = m[1];
      v.erase(std::remove(v.begin(), v.end(), ','), v.end());
      tps.push_back(std::stod(v));
    }
  }
  MeasuredRun run;
  run.scenario = inline_scenario_parts(read_json_file(scenario_file), scenario_file,
                                       std::filesystem::path(scenario_file).parent_path().string());
  const Scenario sc =
      parse_scenario(run.scenario, scenario_file, std::filesystem::path(scenario_file).parent_path().string());
  run.id = std::filesystem::path(log_file).filename().string();
  auto steady = [&](std::vector<double> v, const char* what) {
    if (static_cast<int>(v.size()) <= warmup)
      throw InputError(log_file, fmt::format("more than {} {} lines (the first {} are warm-up)", warmup, what, warmup),
                       std::to_string(v.size()));
    v.erase(v.begin(), v.begin() + warmup);
    return median(v);
  };
  if (!seconds.empty()) {
    run.measured_s = steady(seconds, "iteration-time");
  } else if (!tps.empty()) {
    const double tokens = static_cast<double>(sc.strategy.global_batch) * sc.workload.model.seq_len;
    run.measured_s = tokens / (steady(tps, "tps") * sc.cluster.gpus());
  } else {
    throw InputError(log_file,
                     "iteration times: Megatron-LM 'elapsed time per iteration (ms)', NeMo 'train_step_timing in s' or "
                     "torchtitan 'tps'",
                     "no such line");
  }
  run.origin = log_file + " with " + scenario_file;
  return run;
}

CalibrationResult calibrate_from_runs(const std::vector<MeasuredRun>& runs, const CalibrationOptions& opt) {
  if (runs.empty()) throw InputError("--runs", "at least one measured run", "none");
  const RunModel model(runs, opt.engine);
  // The factors the runs can touch: each GPU type that appears; the intra-node link when a run has
  // more than one GPU per node, the inter-node link when one spans nodes.
  std::vector<Param> params;
  std::set<std::string> gpus;
  bool intra = false, inter = false;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& c = model.scenario(i).cluster;
    gpus.insert(c.gpu.name);
    intra |= c.gpus_per_node > 1;
    inter |= c.nodes > 1;
  }
  for (const auto& g : gpus) params.push_back({Param::Compute, g});
  if (intra) params.push_back({Param::Intra, ""});
  if (inter) params.push_back({Param::Inter, ""});

  CalibrationResult res;
  std::vector<std::size_t> all(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) all[i] = i;
  // Identifiability at the defaults: a factor no run's time depends on is dropped (kept at 1.0);
  // two whose effects the runs cannot tell apart are named.
  Eigen::VectorXd r;
  Eigen::MatrixXd J;
  linearise(model, runs, all, params, Eigen::VectorXd::Zero(static_cast<Eigen::Index>(params.size())), r, J);
  std::vector<Param> kept;
  std::vector<Eigen::Index> cols;
  for (std::size_t j = 0; j < params.size(); ++j) {
    const auto col = J.col(static_cast<Eigen::Index>(j));
    if (col.cwiseAbs().maxCoeff() < 0.01) {
      res.notes.push_back(params[j].name() + ": not identified (no run's time moves by 1% when it changes): kept at 1");
      continue;
    }
    kept.push_back(params[j]);
    cols.push_back(static_cast<Eigen::Index>(j));
  }
  for (std::size_t a = 0; a < cols.size(); ++a)
    for (std::size_t b = a + 1; b < cols.size(); ++b) {
      const Eigen::VectorXd x = J.col(cols[a]), y = J.col(cols[b]);
      const double c = x.dot(y) / (x.norm() * y.norm());
      if (std::fabs(c) > 0.98)
        res.notes.push_back(fmt::format(
            "{} and {}: not separable by these runs (their effects correlate at {:.3f}): only their combination is "
            "fitted; the ridge toward 1 splits it",
            kept[a].name(), kept[b].name(), c));
    }
  if (runs.size() < kept.size())
    res.notes.push_back(fmt::format("{} runs for {} factors: the ridge toward 1 decides what the runs cannot",
                                    runs.size(), kept.size()));

  const auto m = static_cast<Eigen::Index>(kept.size());
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(m);
  const Eigen::VectorXd p = fit(model, runs, all, kept, zero, opt.ridge, 8);
  for (std::size_t j = 0; j < kept.size(); ++j) {
    res.parameters.push_back(kept[j].name());
    res.factors.push_back(std::exp(p[static_cast<Eigen::Index>(j)]));
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    RunError e;
    e.id = runs[i].id;
    e.measured_s = runs[i].measured_s;
    e.before_pct = pct(model.time(i, {}), e.measured_s);
    e.fitted_pct = pct(model.time(i, factors_of(kept, p)), e.measured_s);
    e.loo_pct = e.before_pct;
    if (opt.leave_one_out && runs.size() > 1 && m > 0) {
      std::vector<std::size_t> others;
      for (std::size_t k = 0; k < runs.size(); ++k)
        if (k != i) others.push_back(k);
      // From the full fit, two Gauss-Newton steps without run i (the fit is near-linear in log
      // factors, so this is the refit to within its tolerance).
      const Eigen::VectorXd q = fit(model, runs, others, kept, p, opt.ridge, 2);
      e.loo_pct = pct(model.time(i, factors_of(kept, q)), e.measured_s);
    }
    res.runs.push_back(e);
  }
  for (const auto& e : res.runs) {
    res.mape_before += std::fabs(e.before_pct) / res.runs.size();
    res.mape_fitted += std::fabs(e.fitted_pct) / res.runs.size();
    res.mape_loo += std::fabs(e.loo_pct) / res.runs.size();
  }
  return res;
}

nlohmann::json to_json(const CalibrationResult& r) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& e : r.runs)
    runs.push_back({{"id", e.id},
                    {"measured_s", e.measured_s},
                    {"error_before_pct", e.before_pct},
                    {"error_fitted_pct", e.fitted_pct},
                    {"error_leave_one_out_pct", e.loo_pct}});
  nlohmann::json factors = nlohmann::json::object();
  for (std::size_t j = 0; j < r.parameters.size(); ++j) factors[r.parameters[j]] = r.factors[j];
  return {{"factors", factors},
          {"notes", r.notes},
          {"runs", runs},
          {"mape_before_pct", r.mape_before},
          {"mape_fitted_pct", r.mape_fitted},
          {"mape_leave_one_out_pct", r.mape_loo}};
}

}  // namespace trainsim
