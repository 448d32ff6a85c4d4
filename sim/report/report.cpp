#include "sim/report/report.hpp"

#include <fmt/format.h>

#include <functional>

#include "sim/report/energy_cost_report.hpp"

namespace trainsim {

nlohmann::json to_json(const Metrics& m) {
  const auto& b = m.breakdown;
  const auto& mem = m.memory;
  nlohmann::json j;
  j["scenario"] = m.scenario;
  j["engine"] = m.engine;
  j["gpu"] = m.gpu;
  j["gpus"] = m.gpus;
  j["strategy"] = m.strategy;
  if (!m.framework.empty()) j["framework"] = m.framework;
  j["warnings"] = m.warnings;
  j["micro_batches"] = m.micro_batches;
  j["iteration_time_s"] = m.iteration_time_s;
  j["tokens_per_s"] = m.tokens_per_s;
  j["samples_per_s"] = m.samples_per_s;
  j["model_tflops_per_gpu"] = m.model_tflops_per_gpu;
  j["hardware_tflops_per_gpu"] = m.hardware_tflops_per_gpu;
  j["mfu"] = m.mfu;
  j["hfu"] = m.hfu;
  j["breakdown_s"] = {{"stage", b.stage},
                      {"forward", b.forward},
                      {"backward", b.backward},
                      {"recompute", b.recompute},
                      {"tp_comm_exposed", b.tp_comm_exposed},
                      {"pipeline_bubble", b.pipeline_bubble},
                      {"dp_comm_exposed", b.dp_comm_exposed},
                      {"optimizer", b.optimizer}};
  const double GB = 1e9;
  j["memory_gb"] = {{"stage", mem.stage},
                    {"peak", mem.why},
                    {"weights", mem.parts.weights / GB},
                    {"gradients", mem.parts.gradients / GB},
                    {"optimizer", mem.parts.optimizer / GB},
                    {"activations", mem.parts.activations / GB},
                    {"other", mem.parts.other / GB},
                    {"total", mem.parts.total() / GB},
                    {"capacity", mem.capacity / GB},
                    {"fits", mem.fits}};
  j["train_tokens"] = m.train_tokens;
  j["time_to_train_s"] = m.time_to_train_s;
  j["time_to_train_days"] = m.time_to_train_s / 86400.0;
  j["gpu_hours"] = m.gpu_hours;
  add_energy_cost_json(m.energy_cost, j);  // storage, energy, reliability, cost (issue #5)
  return j;
}

void print_text(const Metrics& m, std::ostream& out) {
  const auto& b = m.breakdown;
  const auto& mem = m.memory;
  const double T = m.iteration_time_s;
  auto pct = [T](double x) { return T > 0 ? 100.0 * x / T : 0.0; };
  out << fmt::format("trainsim {} — {} ({} engine)\n", m.scenario, m.gpu, m.engine);
  out << fmt::format("  {} GPUs, {}, {} micro-batches per iteration\n", m.gpus, m.strategy, m.micro_batches);
  if (!m.framework.empty()) out << fmt::format("  framework {}\n", m.framework);
  out << "\n";
  out << fmt::format("  iteration time           {:>12}\n", human_seconds(T));
  out << fmt::format("  throughput               {:>12.0f} tokens/s   {:.2f} samples/s\n", m.tokens_per_s,
                     m.samples_per_s);
  out << fmt::format("  model FLOP/s per GPU     {:>12.1f} TFLOP/s    MFU {:.1f}%\n", m.model_tflops_per_gpu,
                     100 * m.mfu);
  out << fmt::format("  hardware FLOP/s per GPU  {:>12.1f} TFLOP/s    HFU {:.1f}%\n\n", m.hardware_tflops_per_gpu,
                     100 * m.hfu);
  out << fmt::format("  time breakdown (pipeline stage {}):\n", b.stage);
  const std::pair<const char*, double> rows[] = {{"forward", b.forward},
                                                 {"backward", b.backward},
                                                 {"recompute", b.recompute},
                                                 {"tensor-parallel comm (exposed)", b.tp_comm_exposed},
                                                 {"pipeline bubble", b.pipeline_bubble},
                                                 {"data-parallel comm (exposed)", b.dp_comm_exposed},
                                                 {"optimizer step", b.optimizer}};
  for (const auto& [name, v] : rows) out << fmt::format("    {:<32}{:>12}  {:5.1f}%\n", name, human_seconds(v), pct(v));
  const double GB = 1e9;
  out << fmt::format("\n  memory per GPU (stage {}):  weights {:.1f} GB, gradients {:.1f} GB, optimizer {:.1f} GB,\n",
                     mem.stage, mem.parts.weights / GB, mem.parts.gradients / GB, mem.parts.optimizer / GB);
  out << fmt::format("    activations {:.1f} GB, other {:.1f} GB: total {:.1f} of {:.1f} GB — {}\n",
                     mem.parts.activations / GB, mem.parts.other / GB, mem.parts.total() / GB, mem.capacity / GB,
                     mem.fits ? "fits" : "DOES NOT FIT");
  if (!mem.why.empty()) out << "    peak: " << mem.why << "\n";
  if (m.train_tokens > 0)
    out << fmt::format("\n  training {:.3g} tokens: {} wall-clock, {:.3g} GPU-hours\n", m.train_tokens,
                       human_seconds(m.time_to_train_s), m.gpu_hours);
  print_energy_cost_text(m.energy_cost, out);  // storage, energy, reliability, cost (issue #5)
  for (const auto& w : m.warnings) out << "\n  warning: " << w << "\n";
}

std::vector<std::pair<std::string, std::string>> flatten(const nlohmann::json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  std::function<void(const nlohmann::json&, const std::string&)> rec = [&](const nlohmann::json& v,
                                                                           const std::string& p) {
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) rec(it.value(), p.empty() ? it.key() : p + "." + it.key());
    } else if (v.is_string()) {
      out.emplace_back(p, v.get<std::string>());
    } else {
      out.emplace_back(p, v.dump());
    }
  };
  rec(j, "");
  return out;
}

static std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void print_csv(const Metrics& m, std::ostream& out, bool header) {
  const auto cols = flatten(to_json(m));
  if (header) {
    for (size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << csv_cell(cols[i].first);
    out << "\n";
  }
  for (size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << csv_cell(cols[i].second);
  out << "\n";
}

}  // namespace trainsim
