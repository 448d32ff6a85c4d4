#include "topologies/cluster_spec.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>

namespace trainsim {

namespace {
// Defaults per link kind. Sources:
//  NVSwitch (A100): NCCL all-reduce bus bandwidth ~230 GB/s of 300 GB/s per direction
//    (nccl-tests issue #149, record cal_nccl_allreduce_a100_nvlink) -> efficiency 0.77.
//  NVSwitch (H100): ring busBW ~370 GB/s of 450 (nccl-tests issue #212) -> 0.82.
//  InfiniBand HDR/NDR: nccl-tests inter-node busBW reaches ~90-95% of line rate; 0.92 used.
//  RoCE: ~85% (lossless Ethernet with PFC, same RDMA stack; Llama 3 paper Sec. 3.3 reports
//    RoCE and IB clusters performing alike at scale, with tuning).
//  TCP Ethernet (cloud VMs without RDMA): ~70% (kernel TCP stack, NCCL socket transport).
//  Half-bandwidth message sizes (n_1/2): 16 MB inside a node and 8 MB across nodes, assumed
//    from the shape of published nccl-tests curves (busBW near peak only beyond a few hundred MB,
//    nccl-tests issue #212); `trainsim calibrate` measures the real curve.
//  Latencies: NVLink ~2 us per NCCL step; IB switch hop ~0.13 us plus ~2 us end-point overhead;
//  Ethernet ToR ~1 us per hop, ~10-25 us host TCP overhead (cloud).
double default_intra_eff(IntraNodeKind k, double bw) {
  if (k == IntraNodeKind::PCIe) return 0.80;
  return bw >= 400e9 ? 0.82 : 0.77;
}
double default_fabric_eff(FabricKind k) {
  switch (k) {
    case FabricKind::InfiniBand: return 0.92;
    case FabricKind::RoCE: return 0.85;
    case FabricKind::Ethernet: return 0.70;
  }
  return 0.9;
}
double default_hop_latency(FabricKind k) {
  switch (k) {
    case FabricKind::InfiniBand: return 1.0e-6;
    case FabricKind::RoCE: return 1.5e-6;
    case FabricKind::Ethernet: return 5.0e-6;
  }
  return 1e-6;
}
}  // namespace

const char* to_string(IntraNodeKind k) {
  switch (k) {
    case IntraNodeKind::NVSwitch: return "nvswitch";
    case IntraNodeKind::NVLinkMesh: return "nvlink-mesh";
    case IntraNodeKind::PCIe: return "pcie";
  }
  return "?";
}
const char* to_string(FabricKind k) {
  switch (k) {
    case FabricKind::InfiniBand: return "infiniband";
    case FabricKind::RoCE: return "roce";
    case FabricKind::Ethernet: return "ethernet";
  }
  return "?";
}
const char* to_string(TopologyKind k) {
  switch (k) {
    case TopologyKind::FatTree: return "fat-tree";
    case TopologyKind::RailOptimized: return "rail-optimized";
    case TopologyKind::Dragonfly: return "dragonfly";
    case TopologyKind::Torus: return "torus";
    case TopologyKind::Cloud: return "cloud";
    case TopologyKind::SingleSwitch: return "single-switch";
  }
  return "?";
}

double ClusterSpec::nic_bw_per_gpu() const {
  if (gpus_per_node <= 0) return 0;
  return nic_bw * nics_per_node / gpus_per_node;
}

double ClusterSpec::max_oversubscription() const {
  double m = 1.0;
  for (double o : fabric.oversubscription) m = std::max(m, o);
  return m;
}

int ClusterSpec::nodes_per_leaf() const {
  int down = std::max(1, fabric.switch_radix / 2);
  double o = fabric.oversubscription.empty() ? 1.0 : fabric.oversubscription.front();
  down = static_cast<int>(std::floor(fabric.switch_radix * o / (1.0 + o)));
  if (fabric.topology == TopologyKind::RailOptimized) return std::max(1, down / std::max(1, trays_per_node));
  int nics = std::max(1, nics_per_node);
  return std::max(1, down / nics);
}

namespace {

/// A uniform draw in [0, 1) for GPU `gpu` under `seed` (splitmix64, Steele et al. 2014): the same
/// GPUs are drawn on every machine and standard library, whatever order they are visited in.
double draw(std::uint64_t seed, std::uint64_t gpu) {
  std::uint64_t z = seed * 0x9e3779b97f4a7c15ull + gpu + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

/// "stragglers" and "degraded_links": slow GPUs listed or drawn, NIC links at a fraction of
/// their rate. Runs after the domain conversion (GPU indices and nodes as the network sees them).
void parse_degraded_parts(const JsonReader& r, ClusterSpec& c) {
  std::map<int, double> slow;
  auto add = [&](int gpu, double clock) {
    auto [it, fresh] = slow.emplace(gpu, clock);
    if (!fresh) it->second = std::min(it->second, clock);
  };
  if (auto s = r.opt_object("stragglers")) {
    s->reject_unknown({"gpus", "random", "throttled"});
    if (s->present("gpus"))
      for (const auto& g : s->array("gpus")) {
        g.reject_unknown({"gpu", "clock"});
        add(static_cast<int>(g.integer("gpu", 0, c.gpus() - 1)), g.number("clock", 0.01, 1.0));
      }
    // "random": about one GPU in `one_in` slowed to `clock` ("1 in 1,000 GPUs 10% slow");
    // "throttled": a `fraction` of the GPUs held at `clock` by thermal throttling. Seeded draws.
    for (const char* kind : {"random", "throttled"}) {
      auto d = s->opt_object(kind);
      if (!d) continue;
      const bool random = std::string(kind) == "random";
      d->reject_unknown({random ? "one_in" : "fraction", "clock", "seed"});
      const double p = random ? 1.0 / d->number("one_in", 1, 1e9) : d->number("fraction", 0, 1);
      const double clock = d->number("clock", 0.01, 1.0);
      const auto seed = static_cast<std::uint64_t>(d->opt_integer("seed", 0, 1LL << 62).value_or(1));
      for (int g = 0; g < c.gpus(); ++g)
        if (draw(seed * 2 + (random ? 0 : 1), static_cast<std::uint64_t>(g)) < p) add(g, clock);
    }
  }
  for (const auto& [gpu, clock] : slow)
    if (clock < 1.0) c.slow_gpus.push_back({gpu, clock});
  if (r.present("degraded_links"))
    for (const auto& l : r.array("degraded_links")) {
      l.reject_unknown({"node", "nic", "bandwidth_fraction"});
      // "node" and "nic" as the JSON counts them: a server (compute tray) and its NIC.
      const int trays = std::max(1, c.trays_per_node), tray_nics = c.nics_per_node / trays;
      const int tray = static_cast<int>(l.integer("node", 0, c.nodes * trays - 1));
      const int nic = static_cast<int>(l.integer("nic", 0, std::max(0, tray_nics - 1)));
      DegradedNic d;
      d.node = tray / trays;
      d.nic = tray % trays * tray_nics + nic;
      d.bandwidth_fraction = l.number("bandwidth_fraction", 0.001, 1.0);
      c.degraded_nics.push_back(d);
    }
}

}  // namespace

int ClusterSpec::nodes_per_pod() const {
  const bool tree = fabric.topology == TopologyKind::FatTree || fabric.topology == TopologyKind::RailOptimized ||
                    fabric.topology == TopologyKind::Cloud;
  if (!tree || fabric.levels < 3) return 0;
  const double o2 = fabric.oversubscription.size() > 1 ? fabric.oversubscription[1] : 1.0;
  const int leaves_per_pod = std::max(1, static_cast<int>(std::floor(fabric.switch_radix * o2 / (1.0 + o2))));
  if (fabric.topology != TopologyKind::RailOptimized) return nodes_per_leaf() * leaves_per_pod;
  const int rails = std::max(1, nics_per_node / std::max(1, trays_per_node));
  return std::max(1, nodes_per_leaf() * std::max(1, leaves_per_pod / rails));
}

int domain_aware_ranks(int domain, int tp, int cp, int expert_tp, int ep) {
  const long long block = std::lcm(static_cast<long long>(std::max(1, tp)) * std::max(1, cp),
                                   static_cast<long long>(std::max(1, expert_tp)) * std::max(1, ep));
  if (block <= 0 || block > domain || domain % block == 0) return domain;
  return static_cast<int>(domain / block * block);
}

ClusterSpec parse_cluster(const JsonReader& r) {
  r.reject_unknown({"name", "description", "gpu", "nodes", "gpus_per_node", "intra_node", "nics_per_node", "nic_gbps",
                    "fabric", "host", "storage", "power", "cost", "reliability", "nccl_sms", "scale_up_domain",
                    "stragglers", "degraded_links"});
  ClusterSpec c;
  c.name = r.opt_str("name").value_or("cluster");
  c.gpu = gpu_by_name(r.str("gpu"), r.where("gpu"));
  c.nodes = static_cast<int>(r.integer("nodes", 1, 1'000'000));
  c.gpus_per_node = static_cast<int>(r.integer("gpus_per_node", 1, 64));
  if (static_cast<long long>(c.nodes) * c.gpus_per_node > 4'000'000)
    throw InputError(r.where("nodes"), "at most 4,000,000 GPUs in all", std::to_string(c.gpus()));

  if (auto k = r.opt_integer("nccl_sms", -1, c.gpu.sm_count)) c.nccl_sms = static_cast<int>(*k);

  // Host: CPU memory and each GPU's link to it (defaults from the GPU's reference node).
  c.host = default_host_spec(c.gpu);
  if (auto h = r.opt_object("host")) c.host = parse_host_spec(*h, c.host);

  // Scale-up fabric: the node's (JSON "intra_node"), or a domain of several trays'
  // ("scale_up_domain", which also says how many GPUs it joins).
  if (r.present("intra_node") && r.present("scale_up_domain"))
    throw InputError(r.where("scale_up_domain"), "either intra_node (a server's own fabric) or scale_up_domain",
                     "both");
  const char* intra_key = r.present("scale_up_domain") ? "scale_up_domain" : "intra_node";
  std::string kind = "nvswitch";
  std::optional<double> intra_gbytes, intra_lat_us, intra_eff;
  int domain_gpus = c.gpus_per_node, gpus_used = 0;
  if (auto in = r.opt_object(intra_key)) {
    const bool domain = std::string(intra_key) == "scale_up_domain";
    std::vector<std::string> keys = {"kind", "bandwidth_gbytes_per_s", "latency_us", "efficiency", "half_bandwidth_mb"};
    if (domain) keys.insert(keys.end(), {"gpus", "gpus_used", "placement"});
    in->reject_unknown(keys);
    if (auto h = in->opt_number("half_bandwidth_mb", 0, 1e6)) c.intra.half_bw_bytes = *h * 1e6;
    kind = in->opt_choice("kind", {"nvswitch", "nvlink-mesh", "pcie"}).value_or("nvswitch");
    intra_gbytes = in->opt_number("bandwidth_gbytes_per_s", 0.1, 1e5);
    intra_lat_us = in->opt_number("latency_us", 0, 1e4);
    intra_eff = in->opt_number("efficiency", 0.01, 1.0);
    if (domain) {
      // NVLink switch domains reach 576 GPUs (NVIDIA Blackwell architecture brief: NVLink 5, up to
      // 576 GPUs in one NVLink domain).
      domain_gpus = static_cast<int>(in->integer("gpus", 1, 576));
      if (domain_gpus % c.gpus_per_node != 0)
        throw InputError(in->where("gpus"), "a multiple of gpus_per_node (" + std::to_string(c.gpus_per_node) + ")",
                         std::to_string(domain_gpus));
      const int trays = domain_gpus / c.gpus_per_node;
      if (c.nodes % trays != 0)
        throw InputError(
            r.where("nodes"),
            "whole scale-up domains: a multiple of the " + std::to_string(trays) + " trays (nodes) per domain",
            std::to_string(c.nodes));
      if (kind != "nvswitch")
        throw InputError(in->where("kind"), "nvswitch (a multi-tray domain is joined by NVLink switches)", kind);
      gpus_used = static_cast<int>(in->opt_integer("gpus_used", 1, domain_gpus).value_or(0));
      c.domain_aware_placement =
          in->opt_choice("placement", {"megatron", "domain-aware"}).value_or("megatron") == "domain-aware";
      if (c.domain_aware_placement && gpus_used > 0)
        throw InputError(in->where("placement"), "either gpus_used or placement \"domain-aware\" (which sets it)",
                         "both");
    }
  }
  c.intra.kind = kind == "nvswitch"      ? IntraNodeKind::NVSwitch
                 : kind == "nvlink-mesh" ? IntraNodeKind::NVLinkMesh
                                         : IntraNodeKind::PCIe;
  double default_bw = c.intra.kind == IntraNodeKind::PCIe || c.gpu.nvlink_bw <= 0 ? c.gpu.pcie_bw : c.gpu.nvlink_bw;
  c.intra.bw = intra_gbytes ? *intra_gbytes * 1e9 : default_bw;
  c.intra.latency_s = (intra_lat_us ? *intra_lat_us : (c.intra.kind == IntraNodeKind::PCIe ? 5.0 : 2.0)) * 1e-6;
  c.intra.efficiency = intra_eff.value_or(default_intra_eff(c.intra.kind, c.intra.bw));

  // NICs.
  const int domains = c.nodes / (domain_gpus / c.gpus_per_node);
  c.nics_per_node = static_cast<int>(r.opt_integer("nics_per_node", 0, 64).value_or(domains > 1 ? 1 : 0));
  double nic_gbps = r.opt_number("nic_gbps", 0.1, 1e5).value_or(100.0);
  c.nic_bw = nic_gbps * 1e9 / 8.0;
  if (domains > 1 && c.nics_per_node == 0)
    throw InputError(r.where("nics_per_node"), "at least 1 NIC per node when there are several nodes", "0");

  // From here on a node is a scale-up domain: its trays' GPUs and NICs together.
  c.trays_per_node = domain_gpus / c.gpus_per_node;
  c.nodes = domains;
  c.nics_per_node *= c.trays_per_node;
  c.gpus_per_node = domain_gpus;
  c.ranks_per_node = gpus_used;

  // Inter-node fabric.
  std::string fkind = "infiniband", topo = "fat-tree";
  c.fabric.where = r.where("fabric");
  if (auto f = r.opt_object("fabric")) {
    f->reject_unknown({"kind", "topology", "levels", "switch_radix", "oversubscription", "hop_latency_us", "efficiency",
                       "core_link_gbps", "dragonfly", "torus_dims", "half_bandwidth_mb"});
    if (auto h = f->opt_number("half_bandwidth_mb", 0, 1e6)) c.fabric.half_bw_bytes = *h * 1e6;
    fkind = f->opt_choice("kind", {"infiniband", "roce", "ethernet"}).value_or("infiniband");
    topo = f->opt_choice("topology", {"fat-tree", "rail-optimized", "dragonfly", "torus", "cloud", "single-switch"})
               .value_or("fat-tree");
    c.fabric.kind = fkind == "infiniband" ? FabricKind::InfiniBand
                    : fkind == "roce"     ? FabricKind::RoCE
                                          : FabricKind::Ethernet;
    c.fabric.topology = topo == "fat-tree"         ? TopologyKind::FatTree
                        : topo == "rail-optimized" ? TopologyKind::RailOptimized
                        : topo == "dragonfly"      ? TopologyKind::Dragonfly
                        : topo == "torus"          ? TopologyKind::Torus
                        : topo == "cloud"          ? TopologyKind::Cloud
                                                   : TopologyKind::SingleSwitch;
    c.fabric.levels = static_cast<int>(f->opt_integer("levels", 1, 4).value_or(c.nodes > 16 ? 3 : 2));
    c.fabric.switch_radix = static_cast<int>(f->opt_integer("switch_radix", 4, 1024).value_or(40));
    if (f->present("oversubscription")) {
      const auto& o = f->json().at("oversubscription");
      if (o.is_number()) {
        c.fabric.oversubscription = {f->number("oversubscription", 1.0, 1000.0)};
      } else if (o.is_array()) {
        for (size_t i = 0; i < o.size(); ++i) {
          if (!o[i].is_number() || !(o[i].get<double>() >= 1.0) || o[i].get<double>() > 1000.0)
            throw InputError(f->where("oversubscription") + "[" + std::to_string(i) + "]", "a number in [1, 1000]",
                             JsonReader::describe(o[i]));
          c.fabric.oversubscription.push_back(o[i].get<double>());
        }
      } else {
        throw InputError(f->where("oversubscription"), "a number >= 1 or an array of them per level",
                         JsonReader::describe(o));
      }
    }
    if (auto l = f->opt_number("hop_latency_us", 0, 1e5)) c.fabric.hop_latency_s = *l * 1e-6;
    if (auto e = f->opt_number("efficiency", 0.01, 1.0)) c.fabric.efficiency = *e;
    if (auto cl = f->opt_number("core_link_gbps", 0.1, 1e6)) c.fabric.core_link_bw = *cl * 1e9 / 8;
    if (auto d = f->opt_object("dragonfly")) {
      d->reject_unknown({"groups", "routers_per_group", "terminals_per_router", "global_links_per_router"});
      c.fabric.dragonfly.groups = static_cast<int>(d->integer("groups", 2, 100000));
      c.fabric.dragonfly.routers_per_group = static_cast<int>(d->integer("routers_per_group", 1, 10000));
      c.fabric.dragonfly.terminals_per_router = static_cast<int>(d->integer("terminals_per_router", 1, 10000));
      c.fabric.dragonfly.global_links_per_router = static_cast<int>(d->integer("global_links_per_router", 1, 10000));
    }
    if (f->present("torus_dims")) {
      const auto& t = f->json().at("torus_dims");
      if (!t.is_array() || t.size() < 2 || t.size() > 3)
        throw InputError(f->where("torus_dims"), "an array of 2 or 3 positive integers", JsonReader::describe(t));
      long long prod = 1;
      for (const auto& x : t) {
        if (!x.is_number_integer() || x.get<long long>() < 1 || x.get<long long>() > 100000)
          throw InputError(f->where("torus_dims"), "positive integers", JsonReader::describe(x));
        c.fabric.torus_dims.push_back(x.get<int>());
        prod *= x.get<int>();
      }
      if (prod != c.nodes)
        throw InputError(f->where("torus_dims"), "dimensions whose product is nodes = " + std::to_string(c.nodes),
                         "product " + std::to_string(prod));
    }
  }
  parse_degraded_parts(r, c);
  if (c.fabric.oversubscription.empty()) c.fabric.oversubscription = {1.0};
  if (c.fabric.hop_latency_s <= 0) c.fabric.hop_latency_s = default_hop_latency(c.fabric.kind);
  if (c.fabric.efficiency <= 0) c.fabric.efficiency = default_fabric_eff(c.fabric.kind);
  if (c.fabric.core_link_bw <= 0) c.fabric.core_link_bw = c.nic_bw;
  if (c.fabric.topology == TopologyKind::Dragonfly && c.fabric.dragonfly.groups == 0)
    throw InputError(r.where("fabric") + ".dragonfly", "an object (groups, routers_per_group, ...) for a dragonfly",
                     "nothing (missing)");
  return c;
}

}  // namespace trainsim
