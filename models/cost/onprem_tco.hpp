#pragma once
// On-premises total cost of ownership: straight-line amortised capital, yearly maintenance and
// staff as a fraction of capital, and electricity, charged per hour of cluster use. Idle hours
// are paid by the jobs that do run, so capital and maintenance are divided by utilisation.
#include "models/util/json_reader.hpp"

namespace trainsim {

struct OnPremTco {
  /// From the price catalog's default server for the GPU, scaled to the GPUs per node, unless stated.
  double capex_per_node_usd = 0;
  bool capex_stated = false;
  std::string capex_source;  ///< the server price used (node, kind, date, source) or "stated"
  double capex_per_switch_usd = 0;
  double capex_per_storage_server_usd = 0;
  double amortisation_years = 0;
  double power_usd_per_kwh = 0;
  double maintenance_fraction_per_year = 0;  ///< support + staff, fraction of capex per year
  double utilisation = 0;                    ///< fraction of hours the cluster runs paying jobs, (0, 1]
};

/// Hourly cost of running the job's share of the cluster (USD per wall-clock hour).
struct OnPremHourly {
  double capital_usd = 0, maintenance_usd = 0, energy_usd = 0;
  double total_usd() const { return capital_usd + maintenance_usd + energy_usd; }
};

/// Cited defaults (NDR switch, storage server, amortisation, power, maintenance, utilisation; see
/// onprem_tco.cpp); the node price comes from the catalog (price_nodes_from_catalog).
OnPremTco default_onprem_tco();

/// Fills an unstated node price from the catalog's default server for `gpu`, per GPU times
/// `gpus_per_node` (a GB200 NVL72 rack's price per 4-GPU tray); errors name `where`.
void price_nodes_from_catalog(OnPremTco& t, const std::string& gpu, int gpus_per_node, const std::string& where);

/// Reads an "on_prem" object: capex_per_node_usd, capex_per_switch_usd,
/// capex_per_storage_server_usd, amortisation_years, power_usd_per_kwh,
/// maintenance_fraction_per_year, utilisation; all optional.
OnPremTco parse_onprem_tco(const JsonReader& r);

double onprem_capex_usd(const OnPremTco& t, int nodes, int switches, int storage_servers);

/// capital = capex / (years x 8766 h) / utilisation; maintenance = fraction x capex / 8766 h /
/// utilisation; energy = facility_power_w / 1000 x USD/kWh (8766 h = 365.25 days).
OnPremHourly onprem_cost_per_hour(const OnPremTco& t, int nodes, int switches, int storage_servers,
                                  double facility_power_w);

}  // namespace trainsim
