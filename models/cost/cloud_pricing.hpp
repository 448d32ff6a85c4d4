#pragma once
// Cloud GPU pricing: on-demand, reserved (committed-use discount) and spot (discount, but
// preemptions cost lost work and restart time, which stretches the run and raises the
// effective price). See docs/energy-cost-storage-failures.md#cost.
#include "models/cost/price_catalog.hpp"
#include "models/util/json_reader.hpp"

namespace trainsim {

enum class CloudMarket { OnDemand, Reserved, Spot };
const char* to_string(CloudMarket m);

struct CloudPricing {
  CloudMarket market = CloudMarket::OnDemand;
  /// From the price catalog (models/cost/price_catalog.hpp) unless the scenario states it.
  double on_demand_usd_per_gpu_hour = 0;
  bool price_stated = false;
  OfferQuery offer;          ///< which catalog offer to rent ("class", "provider", "instance", "as_of")
  std::string price_source;  ///< the offer chosen (provider, instance, date, source) or "stated"
  /// No price: the cluster asked for no particular offer and the catalog has none for its GPU (a
  /// GPU too new to rent, GB300 in 2026). Time and energy are still predicted; the cost is reported
  /// as unpriced (price_source says what to state) instead of stopping the run.
  bool unpriced = false;
  std::string price_field;       ///< when unpriced: the field that would price it (JSON path)
  double reserved_discount = 0;  ///< fraction off on-demand, [0, 1)
  double spot_discount = 0;      ///< fraction off on-demand, [0, 1)
  /// Stated in the scenario (else the catalog's published discount for the offer's provider and
  /// GPU, else the assumed defaults of cloud_pricing.cpp).
  bool reserved_stated = false, spot_stated = false;
  std::string term = "1y";                    ///< commitment of the reserved market: "1y" or "3y"
  double spot_preemptions_per_node_hour = 0;  ///< per instance (node)
  double spot_restart_s = 0;                  ///< re-acquire instances, relaunch, reload checkpoint
};

/// Cited defaults for the discounts and preemptions (see cloud_pricing.cpp); the price itself
/// comes from the catalog (price_cloud_from_catalog).
CloudPricing default_cloud_pricing();

/// Reads a "cloud" object: market ("on_demand" | "reserved" | "spot"), the catalog offer ("class",
/// "provider", "instance", "as_of") or on_demand_usd_per_gpu_hour, reserved_discount,
/// spot_discount, spot_preemptions_per_node_hour, spot_restart_s; all optional.
CloudPricing parse_cloud_pricing(const JsonReader& r);

/// Fills an unstated on-demand price from the catalog offer for `gpu` (errors name `where`).
void price_cloud_from_catalog(CloudPricing& p, const std::string& gpu, const std::string& where);

/// Wall-time stretch from preemptions: 1 / (1 - lambda * (lost_work_s + restart_s)), with
/// lambda the job's preemption rate (1/s). First-order renewal argument: each preemption wastes
/// lost_work_s + restart_s of wall time. Throws InputError when lambda * waste >= 1 (no progress).
double preemption_time_multiplier(double preemptions_per_s, double lost_work_s, double restart_s);

/// Cost of spot relative to on-demand for the same useful work:
/// (1 - discount) x preemption_time_multiplier(...).
double spot_effective_multiplier(double discount, double preemptions_per_s, double lost_work_s, double restart_s);

/// Effective USD per GPU-hour of useful work for the chosen market, for a job of `nodes` nodes
/// that checkpoints every `checkpoint_interval_s` (a preemption loses half an interval on average).
double cloud_effective_usd_per_gpu_hour(const CloudPricing& p, int nodes, double checkpoint_interval_s);

}  // namespace trainsim
