#pragma once
// The price catalog: dated cloud GPU offers (per GPU-hour, by GPU type, provider and provider
// class) and server purchase prices, each with its source, read from scenarios/prices/ (data,
// not code: add a newer dated offer when prices change). A cluster's cost part picks from it
// (cloud_pricing.hpp, onprem_tco.hpp) or states its own figures.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trainsim {

struct CloudOffer {
  std::string gpu, provider, instance, price_class, date, source;
  double usd_per_gpu_hour = 0;
  double nic_gbps_per_instance = 0;  ///< scale-out network of the instance (0: not in the source)
};

struct NodePrice {
  std::string gpu, node, date, kind, source;
  int gpus = 0;
  double usd = 0;
};

/// A published discount off on-demand: a 1- or 3-year commitment, or spot capacity.
struct CloudDiscount {
  std::string gpu, provider, instance, term, date, source;  ///< term: "1y", "3y" (commitments), "spot"
  double discount = 0;                                      ///< fraction off on-demand
};

struct PriceCatalog {
  std::string dir;
  std::vector<CloudOffer> offers;
  std::vector<CloudDiscount> discounts;        ///< commitments and spot
  std::map<std::string, std::string> aliases;  ///< GPU -> the GPU it is priced as (export variants)
  std::vector<NodePrice> nodes;
  std::map<std::string, std::string> node_defaults;  ///< GPU -> node name of its default price
};

/// $TRAINSIM_PRICES_DIR, else the source tree's scenarios/prices.
std::string default_prices_dir();
/// Reads cloud-gpu-prices.json and onprem-node-prices.json from `dir` (cached); input errors name
/// the file and JSON path.
const PriceCatalog& price_catalog(const std::string& dir = default_prices_dir());

/// Which cloud offer a cluster rents: a provider class, optionally one provider and instance,
/// and the date the price should be valid at (latest offer on or before it; empty: latest).
struct OfferQuery {
  std::string price_class = "hyperscaler_on_demand";
  std::string provider, instance, as_of;
  /// The cluster named the class. When it did not and no hyperscaler lists the GPU (GB200 racks
  /// are rented from GPU clouds), the GPU clouds' on-demand offer is taken, and the report says so.
  bool class_stated = false;
};

/// The latest offer for `gpu` (or the GPU it is priced as) matching `q` (or, for a class not
/// stated, the next class that lists it: hyperscaler, GPU cloud, capacity block); InputError naming
/// `where` and the offers there are when none matches.
const CloudOffer& select_cloud_offer(const PriceCatalog& c, const std::string& gpu, const OfferQuery& q,
                                     const std::string& where);
/// Whether the catalog has any cloud offer for `gpu` (or the GPU it is priced as).
bool has_cloud_offer(const PriceCatalog& c, const std::string& gpu);
/// The latest published discount for `gpu` (or the GPU it is priced as) at `provider` and `term`
/// ("1y", "3y" or "spot"), or nullptr when the catalog has none.
const CloudDiscount* find_discount(const PriceCatalog& c, const std::string& gpu, const std::string& provider,
                                   const std::string& term);

/// The default purchase price of a server of `gpu`; InputError naming `where` when the catalog has none.
const NodePrice& default_node_price(const PriceCatalog& c, const std::string& gpu, const std::string& where);

}  // namespace trainsim
