#include "sim/report/energy_cost_report.hpp"

#include "models/util/human_units.hpp"

#include <fmt/format.h>

#include <cmath>

#include "sim/report/report.hpp"

namespace trainsim {

namespace {

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json split(double gpu, double host, double net, double stor, double fac) {
  return {{"gpu", gpu},      {"host", host},    {"network", net},
          {"storage", stor}, {"facility", fac}, {"total", gpu + host + net + stor + fac}};
}

}  // namespace

void add_energy_cost_json(const EnergyCostReport& r, nlohmann::json& j) {
  if (!r.valid) return;
  const auto& s = r.storage;
  j["data_stall_s"] = s.data_stall_s;
  j["iteration_time_with_io_s"] = s.iteration_time_with_io_s;
  j["storage"] = {{"source", s.source},
                  {"tier", s.tier},
                  {"bytes_per_sample", s.bytes_per_sample},
                  {"bytes_per_iteration", s.bytes_per_iteration},
                  {"load_s", s.load_s},
                  {"data_stall_s", s.data_stall_s},
                  {"iteration_time_with_io_s", s.iteration_time_with_io_s}};
  if (s.simulated.simulated) {  // SimGrid engine, storage on the fabric (docs/simgrid-engine.md)
    auto& js = j["storage"];
    js["on_fabric"] = true;
    js["simulated_servers"] = s.simulated.servers;
    js["simulated_load_bytes"] = s.simulated.load_bytes;
    js["simulated_load_s"] = s.simulated.load_s;
    js["simulated_data_stall_s"] = s.simulated_data_stall_s;
    js["simulated_iteration_time_with_io_s"] = s.simulated_iteration_time_with_io_s;
    js["iteration_time_without_storage_s"] = s.simulated.iteration_time_without_storage;
    js["contention_slowdown_s"] = s.contention_slowdown_s;
    if (s.simulated.checkpoint_bytes > 0) {
      js["simulated_checkpoint_bytes"] = s.simulated.checkpoint_bytes;
      js["simulated_checkpoint_s"] = s.simulated.checkpoint_s;
    }
  }

  const auto& e = r.energy;
  const auto& pi = e.per_iteration;
  const double k = pi.total_j() > 0 ? e.run_kwh / pi.total_j() : 0.0;  // kWh per J of one iteration, x iterations
  j["energy"] = {{"activity_per_gpu_s",
                  {{"compute", e.activity.compute_s},
                   {"memory", e.activity.memory_s},
                   {"comm", e.activity.comm_s},
                   {"idle", e.activity.idle_s}}},
                 {"counts",
                  {{"gpus", e.counts.gpus},
                   {"idle_gpus", e.counts.idle_gpus},
                   {"nodes", e.counts.nodes},
                   {"nics", e.counts.nics},
                   {"switches", e.counts.switches},
                   {"ports_per_switch", e.counts.ports_per_switch},
                   {"storage_servers", e.counts.storage_servers}}},
                 {"per_iteration_j", split(pi.gpu_j, pi.host_j, pi.network_j, pi.storage_j, pi.facility_j)},
                 {"average_power_w", pi.average_power_w},
                 {"iterations", e.iterations},
                 {"run_kwh", split(pi.gpu_j * k, pi.host_j * k, pi.network_j * k, pi.storage_j * k, pi.facility_j * k)},
                 {"run_kwh_with_failures", e.run_kwh_with_failures},
                 {"co2_kg", e.co2_kg},
                 {"co2_kg_with_failures", e.co2_kg_with_failures},
                 {"pue", e.pue},
                 {"carbon_g_per_kwh", e.carbon_g_per_kwh}};

  const auto& rl = r.reliability;
  j["reliability"] = {{"job_mtbf_s", num(rl.job_mtbf_s)},
                      {"job_mtbf_h", num(rl.job_mtbf_s / 3600.0)},
                      {"checkpoint_bytes", rl.state_bytes},
                      {"checkpoint_write_s", rl.checkpoint_write_s},
                      {"checkpoint_restore_s", rl.checkpoint_restore_s},
                      {"checkpoint_blocking_s", rl.checkpoint_blocking_s},
                      {"restart_s", rl.restart_s},
                      {"young_interval_s", rl.young_interval_s},
                      {"daly_interval_s", rl.daly_interval_s},
                      {"checkpoint_interval_s", num(rl.expected.interval_s)},
                      {"ideal_time_to_train_s", rl.ideal_time_to_train_s},
                      {"expected_time_to_train_s", rl.expected.wall_s},
                      {"expected_time_to_train_days", rl.expected.wall_s / 86400.0},
                      {"goodput", rl.expected.goodput},
                      {"expected_failures", rl.expected.expected_failures}};

  const auto& c = r.cost;
  nlohmann::json cj = {{"model", c.model},
                       {"price_source", c.price_source},
                       {"usd_per_hour", c.usd_per_hour},
                       {"usd_per_gpu_hour", c.usd_per_gpu_hour},
                       {"usd_per_iteration", c.run.usd_per_iteration},
                       {"usd_per_run", c.run.usd_per_run},
                       {"usd_per_run_with_failures", c.usd_per_run_with_failures},
                       {"usd_per_million_tokens", c.run.usd_per_million_tokens}};
  if (c.model == "cloud") cj["market"] = c.market;
  if (c.unpriced) {
    cj["unpriced"] = true;
    for (const char* k : {"usd_per_hour", "usd_per_gpu_hour", "usd_per_iteration", "usd_per_run",
                          "usd_per_run_with_failures", "usd_per_million_tokens"})
      cj[k] = nullptr;
  }
  if (c.model == "on_prem")
    cj["on_prem"] = {{"capex_usd", c.capex_usd},
                     {"capital_usd_per_hour", c.onprem_capital_usd_per_hour},
                     {"maintenance_usd_per_hour", c.onprem_maintenance_usd_per_hour},
                     {"energy_usd_per_hour", c.onprem_energy_usd_per_hour},
                     {"utilisation", c.onprem_utilisation}};
  if (c.roi)
    cj["roi"] = {{"annual_net_savings_usd", c.roi->annual_net_savings_usd},
                 {"payback_years", num(c.roi->payback_years)},
                 {"roi_percent", c.roi->roi_percent}};
  j["cost"] = cj;
}

void print_energy_cost_text(const EnergyCostReport& r, std::ostream& out) {
  if (!r.valid) return;
  const auto& s = r.storage;
  const auto& e = r.energy;
  const auto& pi = e.per_iteration;
  const auto& rl = r.reliability;
  const auto& c = r.cost;
  out << fmt::format("\n  data loading ({}, from {}): {:.3g} MB per iteration, load {}, stall {}\n", s.source, s.tier,
                     s.bytes_per_iteration / 1e6, human_seconds(s.load_s), human_seconds(s.data_stall_s));
  out << fmt::format("  iteration time with I/O  {:>12}\n", human_seconds(s.iteration_time_with_io_s));
  if (s.simulated.simulated) {
    out << fmt::format(
        "  simulated on the fabric ({} servers): load {}, stall {}, slowdown of the iteration by storage "
        "traffic {} ({} without)\n",
        s.simulated.servers, human_seconds(s.simulated.load_s), human_seconds(s.simulated_data_stall_s),
        human_seconds(s.contention_slowdown_s), human_seconds(s.simulated.iteration_time_without_storage));
    if (s.simulated.checkpoint_bytes > 0)
      out << fmt::format("  checkpoint written during the iteration: {:.3g} GB in {}\n",
                         s.simulated.checkpoint_bytes / 1e9, human_seconds(s.simulated.checkpoint_s));
  }
  out << fmt::format("\n  energy per iteration {:.4g} kJ, average power {:.1f} kW (PUE {:.2f})\n", pi.total_j() / 1e3,
                     pi.average_power_w / 1e3, e.pue);
  out << fmt::format("    per GPU: compute {}, memory-bound {}, communication {}, idle {}\n",
                     human_seconds(e.activity.compute_s), human_seconds(e.activity.memory_s),
                     human_seconds(e.activity.comm_s), human_seconds(e.activity.idle_s));
  const double t = pi.total_j() > 0 ? 100.0 / pi.total_j() : 0.0;
  out << fmt::format(
      "    GPU {:.1f}%, host {:.1f}%, network {:.1f}% ({} NICs, {} switches), storage {:.1f}%, facility {:.1f}%\n",
      pi.gpu_j * t, pi.host_j * t, pi.network_j * t, e.counts.nics, e.counts.switches, pi.storage_j * t,
      pi.facility_j * t);
  if (e.iterations > 0) {
    out << fmt::format("    training run: {:.4g} MWh ({:.4g} MWh with failures), {:.4g} t CO2 at {:.0f} g/kWh\n",
                       e.run_kwh / 1e3, e.run_kwh_with_failures / 1e3, e.co2_kg_with_failures / 1e3,
                       e.carbon_g_per_kwh);
    out << fmt::format("\n  reliability: job MTBF {}, checkpoint {:.3g} GB written in {}, Daly interval {}\n",
                       human_seconds(rl.job_mtbf_s), rl.state_bytes / 1e9, human_seconds(rl.checkpoint_write_s),
                       human_seconds(rl.expected.interval_s));
    out << fmt::format("    time to train: {} failure-free, {} expected ({:.1f} failures, goodput {:.1f}%)\n",
                       human_seconds(rl.ideal_time_to_train_s), human_seconds(rl.expected.wall_s),
                       rl.expected.expected_failures, 100 * rl.expected.goodput);
  }
  if (c.unpriced) {
    out << "\n  cost: unpriced. " << c.price_source << "\n";
    return;
  }
  out << fmt::format(
      "\n  cost ({}{}): {:.2f} USD/h ({:.3f} USD per GPU-hour), {:.4g} USD per iteration, {:.4g} USD per 1M tokens\n",
      c.model, c.model == "cloud" ? ", " + c.market : std::string(), c.usd_per_hour, c.usd_per_gpu_hour,
      c.run.usd_per_iteration, c.run.usd_per_million_tokens);
  if (!c.price_source.empty())
    out << "    " << (c.model == "cloud" ? "price" : "node price") << ": " << c.price_source << "\n";
  if (e.iterations > 0)
    out << fmt::format("    training run: {} failure-free, {} expected with failures\n", human_usd(c.run.usd_per_run),
                       human_usd(c.usd_per_run_with_failures));
  if (c.model == "on_prem")
    out << fmt::format(
        "    capex {}; per hour: capital {:.2f}, maintenance {:.2f}, energy {:.2f} USD (utilisation {:.0f}%)\n",
        human_usd(c.capex_usd), c.onprem_capital_usd_per_hour, c.onprem_maintenance_usd_per_hour,
        c.onprem_energy_usd_per_hour, 100 * c.onprem_utilisation);
  if (c.roi)
    out << fmt::format("    ROI: {} net savings per year, payback {:.2f} years, ROI {:.1f}%\n",
                       human_usd(c.roi->annual_net_savings_usd), c.roi->payback_years, c.roi->roi_percent);
}

}  // namespace trainsim
