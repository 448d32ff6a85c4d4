#include "models/cost/cloud_pricing.hpp"

#include <string>

namespace trainsim {

namespace {
// Reserved: 40 % off. Assumed for a 1-year commitment; AWS Savings Plans advertise "up to 72 %"
// for 3-year all-upfront terms (aws.amazon.com/savingsplans, 2024).
constexpr double kReservedDiscount = 0.40;
// Spot: 60 % off. Assumed; AWS advertises spot "up to 90 %" off on-demand, GPU instances are
// discounted much less (EC2 Spot Instance Advisor, 2024).
constexpr double kSpotDiscount = 0.60;
// Preemptions: 2.7e-4 per instance-hour = 20 % of instances reclaimed per month / 730 h, the lower
// edge of the highest ">20 %" frequency-of-interruption bucket of the EC2 Spot Instance Advisor
// (2024), where large GPU instances usually sit.
constexpr double kSpotPreemptionsPerNodeHour = 0.20 / 730.0;
// Restart after a preemption: 10 min. Assumed: re-acquire capacity, start containers, NCCL init,
// read the checkpoint (see models/storage/checkpoint_io.hpp for the read part).
constexpr double kSpotRestartS = 600.0;
}  // namespace

const char* to_string(CloudMarket m) {
  switch (m) {
    case CloudMarket::OnDemand: return "on_demand";
    case CloudMarket::Reserved: return "reserved";
    case CloudMarket::Spot: return "spot";
  }
  return "?";
}

CloudPricing default_cloud_pricing() {
  CloudPricing p;
  p.reserved_discount = kReservedDiscount;
  p.spot_discount = kSpotDiscount;
  p.spot_preemptions_per_node_hour = kSpotPreemptionsPerNodeHour;
  p.spot_restart_s = kSpotRestartS;
  return p;
}

CloudPricing parse_cloud_pricing(const JsonReader& r) {
  r.reject_unknown({"market", "class", "provider", "instance", "as_of", "term", "on_demand_usd_per_gpu_hour",
                    "reserved_discount", "spot_discount", "spot_preemptions_per_node_hour", "spot_restart_s"});
  CloudPricing p = default_cloud_pricing();
  if (auto m = r.opt_choice("market", {"on_demand", "reserved", "spot"}))
    p.market = *m == "spot" ? CloudMarket::Spot : *m == "reserved" ? CloudMarket::Reserved : CloudMarket::OnDemand;
  if (auto price = r.opt_number("on_demand_usd_per_gpu_hour", 0, 1e4)) {
    p.on_demand_usd_per_gpu_hour = *price;
    p.price_stated = true;
    p.price_source = "stated";
  }
  if (auto cls = r.opt_choice("class", {"hyperscaler_on_demand", "hyperscaler_capacity_block", "neocloud_on_demand"})) {
    p.offer.price_class = *cls;
    p.offer.class_stated = true;
  }
  p.offer.provider = r.opt_str("provider").value_or("");
  p.offer.instance = r.opt_str("instance").value_or("");
  p.offer.as_of = r.opt_str("as_of").value_or("");
  p.term = r.opt_choice("term", {"1y", "3y"}).value_or(p.term);
  if (auto d = r.opt_number("reserved_discount", 0, 0.99)) p.reserved_discount = *d, p.reserved_stated = true;
  if (auto d = r.opt_number("spot_discount", 0, 0.99)) p.spot_discount = *d, p.spot_stated = true;
  p.spot_preemptions_per_node_hour =
      r.opt_number("spot_preemptions_per_node_hour", 0, 100).value_or(p.spot_preemptions_per_node_hour);
  p.spot_restart_s = r.opt_number("spot_restart_s", 0, 1e6).value_or(p.spot_restart_s);
  return p;
}

void price_cloud_from_catalog(CloudPricing& p, const std::string& gpu, const std::string& where) {
  std::string provider = p.offer.provider;
  const bool asks_for_an_offer =
      p.offer.class_stated || !p.offer.provider.empty() || !p.offer.instance.empty() || !p.offer.as_of.empty();
  if (!p.price_stated && !asks_for_an_offer && !has_cloud_offer(price_catalog(), gpu)) {
    p.unpriced = true;
    p.on_demand_usd_per_gpu_hour = 0;
    p.price_field = where + ".on_demand_usd_per_gpu_hour";
    p.price_source = "the price catalog has no offer for " + gpu + " (state " + p.price_field + " to price it)";
    return;
  }
  if (!p.price_stated) {
    const CloudOffer& o = select_cloud_offer(price_catalog(), gpu, p.offer, where);
    p.on_demand_usd_per_gpu_hour = o.usd_per_gpu_hour;
    provider = o.provider;
    p.price_source = o.provider + (o.instance.empty() ? "" : " " + o.instance) + ", " + o.price_class + ", " + o.date +
                     (o.gpu != gpu ? " (priced as " + o.gpu + ")" : "") + " (" + o.source + ")";
  }
  // The discount of the market in use: the provider's published one for this GPU when the
  // catalog has it, else the assumed default above, said either way.
  const bool reserved = p.market == CloudMarket::Reserved, spot = p.market == CloudMarket::Spot;
  if ((reserved && !p.reserved_stated) || (spot && !p.spot_stated)) {
    const std::string term = spot ? "spot" : p.term;
    double& discount = spot ? p.spot_discount : p.reserved_discount;
    const CloudDiscount* d = provider.empty() ? nullptr : find_discount(price_catalog(), gpu, provider, term);
    if (d) discount = d->discount;
    const std::string pct = std::to_string(static_cast<int>(100 * discount + 0.5)) + "%";
    p.price_source += "; " + term + " discount " + pct +
                      (d ? " (" + d->provider + " " + d->instance + ", " + d->date + ", " + d->source + ")"
                         : " assumed (no published " + term + " price for " + gpu +
                               (provider.empty() ? std::string() : " at " + provider) + " in the catalog)");
  }
}

double preemption_time_multiplier(double preemptions_per_s, double lost_work_s, double restart_s) {
  double waste = preemptions_per_s * (lost_work_s + restart_s);
  if (waste >= 1.0)
    throw InputError("spot pricing: preemptions every " + std::to_string(1.0 / preemptions_per_s) + " s waste " +
                     std::to_string(lost_work_s + restart_s) +
                     " s each; the job would make no progress (checkpoint more often or use fewer nodes)");
  return 1.0 / (1.0 - waste);
}

double spot_effective_multiplier(double discount, double preemptions_per_s, double lost_work_s, double restart_s) {
  return (1.0 - discount) * preemption_time_multiplier(preemptions_per_s, lost_work_s, restart_s);
}

double cloud_effective_usd_per_gpu_hour(const CloudPricing& p, int nodes, double checkpoint_interval_s) {
  switch (p.market) {
    case CloudMarket::OnDemand: return p.on_demand_usd_per_gpu_hour;
    case CloudMarket::Reserved: return p.on_demand_usd_per_gpu_hour * (1.0 - p.reserved_discount);
    case CloudMarket::Spot: {
      // Any one of the job's instances being reclaimed stops the whole synchronous job.
      double lambda = p.spot_preemptions_per_node_hour * nodes / 3600.0;
      return p.on_demand_usd_per_gpu_hour *
             spot_effective_multiplier(p.spot_discount, lambda, 0.5 * checkpoint_interval_s, p.spot_restart_s);
    }
  }
  return p.on_demand_usd_per_gpu_hour;
}

}  // namespace trainsim
