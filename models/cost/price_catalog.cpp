#include "models/cost/price_catalog.hpp"

#include <algorithm>

#include <cstdlib>
#include <mutex>

#include "models/util/errors.hpp"
#include "models/util/json_reader.hpp"

#ifndef TRAINSIM_PRICES_DIR
#define TRAINSIM_PRICES_DIR "scenarios/prices"
#endif

namespace trainsim {

std::string default_prices_dir() {
  if (const char* d = std::getenv("TRAINSIM_PRICES_DIR"); d && *d) return d;
  return TRAINSIM_PRICES_DIR;
}

namespace {

PriceCatalog read_catalog(const std::string& dir) {
  PriceCatalog c;
  c.dir = dir;
  const std::string cloud_file = dir + "/cloud-gpu-prices.json";
  const nlohmann::json cj = read_json_file(cloud_file);
  const JsonReader cr(cj, cloud_file);
  for (const auto& o : cr.array("offers")) {
    CloudOffer x;
    x.gpu = o.str("gpu");
    x.provider = o.str("provider");
    x.instance = o.opt_str("instance").value_or("");
    x.price_class = o.str("class");
    x.date = o.str("date");
    x.source = o.str("source");
    x.usd_per_gpu_hour = o.number("usd_per_gpu_hour", 0, 1e4);
    x.nic_gbps_per_instance = o.opt_number("nic_gbps_per_instance", 0, 1e6).value_or(0);
    c.offers.push_back(std::move(x));
  }
  for (const char* part : {"commitments", "spot"}) {
    if (!cr.present(part)) continue;
    for (const auto& d : cr.array(part)) {
      CloudDiscount x;
      x.gpu = d.str("gpu");
      x.provider = d.str("provider");
      x.instance = d.opt_str("instance").value_or("");
      x.term = std::string(part) == "spot" ? "spot" : d.choice("term", {"1y", "3y"});
      x.date = d.str("date");
      x.source = d.str("source");
      x.discount = d.number("discount", 0, 0.99);
      c.discounts.push_back(std::move(x));
    }
  }
  if (auto a = cr.opt_object("aliases"))
    for (const auto& [gpu, v] : a->json().items()) c.aliases[gpu] = a->object(gpu).str("priced_as");

  const std::string node_file = dir + "/onprem-node-prices.json";
  const nlohmann::json nj = read_json_file(node_file);
  const JsonReader nr(nj, node_file);
  for (const auto& n : nr.array("nodes")) {
    NodePrice x;
    x.gpu = n.str("gpu");
    x.node = n.str("node");
    x.date = n.str("date");
    x.kind = n.opt_str("kind").value_or("");
    x.source = n.str("source");
    x.gpus = static_cast<int>(n.integer("gpus", 1, 1 << 20));
    x.usd = n.number("usd", 0, 1e12);
    c.nodes.push_back(std::move(x));
  }
  if (auto d = nr.opt_object("defaults"))
    for (const auto& [gpu, v] : d->json().items()) c.node_defaults[gpu] = d->str(gpu);
  return c;
}

/// The GPU whose prices `gpu` takes (an export variant's parent), or `gpu` itself.
std::string priced_as(const PriceCatalog& c, const std::string& gpu) {
  const auto alias = c.aliases.find(gpu);
  return alias != c.aliases.end() ? alias->second : gpu;
}

}  // namespace

const PriceCatalog& price_catalog(const std::string& dir) {
  static std::mutex mu;
  static std::map<std::string, PriceCatalog> read;
  std::lock_guard<std::mutex> lock(mu);
  auto it = read.find(dir);
  if (it == read.end()) it = read.emplace(dir, read_catalog(dir)).first;
  return it->second;
}

const CloudOffer& select_cloud_offer(const PriceCatalog& c, const std::string& gpu, const OfferQuery& q,
                                     const std::string& where) {
  if (!q.class_stated)
    for (const std::string& cls :
         {q.price_class, std::string("neocloud_on_demand"), std::string("hyperscaler_capacity_block")}) {
      OfferQuery next = q;
      next.price_class = cls;
      next.class_stated = true;
      try {
        return select_cloud_offer(c, gpu, next, where);
      } catch (const InputError&) {
        // none in this class: the next one
      }
    }
  const std::string priced = priced_as(c, gpu);
  const CloudOffer* best = nullptr;
  std::string there;  // what the catalog has for this GPU, for the error
  for (const auto& o : c.offers) {
    if (o.gpu != priced) continue;
    there += (there.empty() ? "" : ", ") + o.provider + " " + o.price_class + " " + o.date;
    if (o.price_class != q.price_class || (!q.provider.empty() && o.provider != q.provider) ||
        (!q.instance.empty() && o.instance != q.instance))
      continue;
    // ISO dates compare as strings; an offer dated by year only ("2026") sorts after that year's
    // months, which is what its source says (valid in that year).
    if (!q.as_of.empty() && o.date > q.as_of) continue;
    if (!best || o.date > best->date) best = &o;
  }
  if (best) return *best;
  throw InputError(where,
                   "an offer for " + priced + " in the price catalog (" + c.dir + "/cloud-gpu-prices.json: " +
                       (there.empty() ? std::string("none for this GPU") : there) + "), or on_demand_usd_per_gpu_hour",
                   "none for class " + q.price_class + (q.provider.empty() ? "" : ", provider " + q.provider) +
                       (q.instance.empty() ? "" : ", instance " + q.instance) +
                       (q.as_of.empty() ? "" : ", as of " + q.as_of));
}

bool has_cloud_offer(const PriceCatalog& c, const std::string& gpu) {
  const std::string priced = priced_as(c, gpu);
  return std::any_of(c.offers.begin(), c.offers.end(), [&](const CloudOffer& o) { return o.gpu == priced; });
}

const CloudDiscount* find_discount(const PriceCatalog& c, const std::string& gpu, const std::string& provider,
                                   const std::string& term) {
  const std::string priced = priced_as(c, gpu);
  const CloudDiscount* best = nullptr;
  for (const auto& d : c.discounts)
    if (d.gpu == priced && d.provider == provider && d.term == term && (!best || d.date > best->date)) best = &d;
  return best;
}

const NodePrice& default_node_price(const PriceCatalog& c, const std::string& gpu, const std::string& where) {
  const auto d = c.node_defaults.find(gpu);
  if (d != c.node_defaults.end())
    for (const auto& n : c.nodes)
      if (n.node == d->second) return n;
  throw InputError(
      where, "a server price for " + gpu + " in " + c.dir + "/onprem-node-prices.json, or capex_per_node_usd", "none");
}

}  // namespace trainsim
