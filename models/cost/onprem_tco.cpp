#include "models/cost/onprem_tco.hpp"

#include "models/cost/price_catalog.hpp"
#include "models/util/errors.hpp"

namespace trainsim {

namespace {
constexpr double kHoursPerYear = 8766.0;  // 365.25 x 24
// Node prices are data: scenarios/prices/onprem-node-prices.json (price_nodes_from_catalog).
// Switch: 36,000 USD for a 64-port 400 Gb/s NDR InfiniBand switch (FS.com listing, Aug 2024;
// NVIDIA-branded QM9700 about 50 kUSD at the same date), cables and optics not included.
constexpr double kCapexPerSwitch = 36000.0;
// Storage server: 100,000 USD per all-NVMe parallel-file-system server. Assumed placeholder (no
// public list price for DDN/VAST/Weka appliances): set it from a quote.
constexpr double kCapexPerStorageServer = 100000.0;
// Amortisation over 5 years: Meta's useful life for servers and network equipment from 2022
// (Meta 10-K 2022); Microsoft uses 6 years, Epoch AI analyses use ~4.
constexpr double kAmortisationYears = 5.0;
// Electricity 0.080 USD/kWh: U.S. average industrial retail price 2023, 8.0 cents/kWh (EIA,
// Electric Power Monthly, Table 5.3, Feb 2024).
constexpr double kPowerUsdPerKwh = 0.080;
// Maintenance/support 20 % of capex per year: NVIDIA DGX support contract ~20 % of the base price
// per year (reported, supercluster.blog "NVIDIA DGX Platform", 2024). Staff not included.
constexpr double kMaintenanceFraction = 0.20;
// Utilisation 0.80. Assumed: typical of well-run shared HPC/AI centres (70-90 %).
constexpr double kUtilisation = 0.80;
}  // namespace

OnPremTco default_onprem_tco() {
  OnPremTco t;
  t.capex_per_switch_usd = kCapexPerSwitch;
  t.capex_per_storage_server_usd = kCapexPerStorageServer;
  t.amortisation_years = kAmortisationYears;
  t.power_usd_per_kwh = kPowerUsdPerKwh;
  t.maintenance_fraction_per_year = kMaintenanceFraction;
  t.utilisation = kUtilisation;
  return t;
}

OnPremTco parse_onprem_tco(const JsonReader& r) {
  r.reject_unknown({"capex_per_node_usd", "capex_per_switch_usd", "capex_per_storage_server_usd", "amortisation_years",
                    "power_usd_per_kwh", "maintenance_fraction_per_year", "utilisation"});
  OnPremTco t = default_onprem_tco();
  if (auto capex = r.opt_number("capex_per_node_usd", 0, 1e9)) {
    t.capex_per_node_usd = *capex;
    t.capex_stated = true;
    t.capex_source = "stated";
  }
  t.capex_per_switch_usd = r.opt_number("capex_per_switch_usd", 0, 1e9).value_or(t.capex_per_switch_usd);
  t.capex_per_storage_server_usd =
      r.opt_number("capex_per_storage_server_usd", 0, 1e9).value_or(t.capex_per_storage_server_usd);
  t.amortisation_years = r.opt_number("amortisation_years", 0.25, 30).value_or(t.amortisation_years);
  t.power_usd_per_kwh = r.opt_number("power_usd_per_kwh", 0, 10).value_or(t.power_usd_per_kwh);
  t.maintenance_fraction_per_year =
      r.opt_number("maintenance_fraction_per_year", 0, 2).value_or(t.maintenance_fraction_per_year);
  t.utilisation = r.opt_number("utilisation", 0.01, 1).value_or(t.utilisation);
  return t;
}

void price_nodes_from_catalog(OnPremTco& t, const std::string& gpu, int gpus_per_node, const std::string& where) {
  if (t.capex_stated) return;
  const NodePrice& n = default_node_price(price_catalog(), gpu, where);
  t.capex_per_node_usd = n.usd / n.gpus * gpus_per_node;
  t.capex_source = n.node + (n.gpus != gpus_per_node ? " (per GPU x " + std::to_string(gpus_per_node) + ")" : "") +
                   ", " + n.kind + ", " + n.date + " (" + n.source + ")";
}

double onprem_capex_usd(const OnPremTco& t, int nodes, int switches, int storage_servers) {
  if (nodes < 0 || switches < 0 || storage_servers < 0) throw InternalError("onprem_capex_usd: negative count");
  return t.capex_per_node_usd * nodes + t.capex_per_switch_usd * switches +
         t.capex_per_storage_server_usd * storage_servers;
}

OnPremHourly onprem_cost_per_hour(const OnPremTco& t, int nodes, int switches, int storage_servers,
                                  double facility_power_w) {
  if (t.amortisation_years <= 0 || t.utilisation <= 0) throw InternalError("onprem_cost_per_hour: bad TCO inputs");
  const double capex = onprem_capex_usd(t, nodes, switches, storage_servers);
  OnPremHourly h;
  h.capital_usd = capex / (t.amortisation_years * kHoursPerYear) / t.utilisation;
  h.maintenance_usd = t.maintenance_fraction_per_year * capex / kHoursPerYear / t.utilisation;
  h.energy_usd = facility_power_w / 1000.0 * t.power_usd_per_kwh;
  return h;
}

}  // namespace trainsim
