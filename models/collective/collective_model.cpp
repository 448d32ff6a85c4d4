#include "models/collective/collective_model.hpp"

#include <algorithm>
#include <cmath>

#include "models/util/errors.hpp"

namespace trainsim {

CollectiveAlgorithm parse_collective_algorithm(const std::string& s, const std::string& where) {
  if (s == "auto") return CollectiveAlgorithm::Auto;
  if (s == "ring") return CollectiveAlgorithm::Ring;
  if (s == "tree") return CollectiveAlgorithm::Tree;
  if (s == "halving-doubling") return CollectiveAlgorithm::HalvingDoubling;
  if (s == "hierarchical") return CollectiveAlgorithm::Hierarchical;
  throw InputError(where, "one of \"auto\", \"ring\", \"tree\", \"halving-doubling\", \"hierarchical\"",
                   "\"" + s + "\"");
}

const char* to_string(CollectiveAlgorithm a) {
  switch (a) {
    case CollectiveAlgorithm::Auto: return "auto";
    case CollectiveAlgorithm::Ring: return "ring";
    case CollectiveAlgorithm::Tree: return "tree";
    case CollectiveAlgorithm::HalvingDoubling: return "halving-doubling";
    case CollectiveAlgorithm::Hierarchical: return "hierarchical";
  }
  return "?";
}

namespace {

/// Bandwidth of a flat multi-channel ring: NCCL builds one ring per NIC, so the group's k ranks in a
/// node together push through k NICs, while every rank's NVLink carries the full ring volume.
double ring_bw(const GroupShape& g, const CollectiveEnv& env) {
  if (g.nodes <= 1) return env.intra.bw;
  const double inter = env.inter.bw * g.ranks_per_node;
  return g.ranks_per_node > 1 ? std::min(env.intra.bw, inter) : inter;
}
double step_latency(const GroupShape& g, const CollectiveEnv& env) {
  return g.nodes > 1 ? env.inter.latency : env.intra.latency;
}

/// Factor of the all-reduce volume a collective kind moves (all-reduce = reduce-scatter + all-gather).
double volume_factor(CollectiveKind k) { return k == CollectiveKind::AllReduce ? 2.0 : 1.0; }

/// Latency of one pass around a ring: of its p - 1 steps, only the n - 1 that cross from one node
/// to the next pay the network's latency; the others are NVLink/PCIe hops inside a node. This is
/// NCCL's own latency model for rings (src/graph/tuning.cc, ncclTopoTuneModel: latency = baseLat +
/// (nsteps - nInterSteps) * intraLat + nInterSteps * interLat, nInterSteps = nNodes - 1 per pass).
double ring_pass_latency(const GroupShape& g, const CollectiveEnv& env) {
  const double p = g.size, n = std::max(1, g.nodes);
  if (n <= 1) return (p - 1) * env.intra.latency;
  return (p - n) * env.intra.latency + (n - 1) * env.inter.latency;
}

double ring(CollectiveKind kind, double S, const GroupShape& g, const CollectiveEnv& env) {
  const double p = g.size, f = volume_factor(kind);
  return f * ring_pass_latency(g, env) + f * (p - 1) / p * S / ring_bw(g, env);
}

double halving_doubling(CollectiveKind kind, double S, const GroupShape& g, const CollectiveEnv& env) {
  const double p = g.size, f = volume_factor(kind);
  return f * std::ceil(std::log2(p)) * step_latency(g, env) + f * (p - 1) / p * S / ring_bw(g, env);
}

/// Double binary tree across nodes with a chain inside each node (NCCL): logarithmic latency; each
/// rank sends and receives the whole buffer once per reduce and once per broadcast.
double tree(CollectiveKind kind, double S, const GroupShape& g, const CollectiveEnv& env) {
  const double k = g.ranks_per_node, n = g.nodes;
  const double lat =
      2.0 * (std::ceil(std::log2(std::max(n, 1.0))) * env.inter.latency * (n > 1) + (k - 1) * env.intra.latency);
  const double bw = n > 1 ? std::min(env.intra.bw, env.inter.bw * k) : env.intra.bw;
  return lat + (kind == CollectiveKind::AllReduce ? 2.0 : 1.0) * S / bw;
}

/// Intra-node reduce-scatter, inter-node all-reduce of each rank's 1/k shard on its own NIC,
/// intra-node all-gather (the 2D algorithm of Jia et al. 2018, Horovod/NCCL hierarchical mode).
double hierarchical(CollectiveKind kind, double S, const GroupShape& g, const CollectiveEnv& env) {
  const double k = g.ranks_per_node, n = g.nodes, f = volume_factor(kind);
  const double intra = k > 1 ? f * (k - 1) * env.intra.latency + f * (k - 1) / k * S / env.intra.bw : 0.0;
  const double inter = n > 1 ? f * (n - 1) * env.inter.latency + f * (n - 1) / n * (S / k) / env.inter.bw : 0.0;
  return intra + inter;
}

double all_to_all(double S, const GroupShape& g, const CollectiveEnv& env) {
  // Each rank keeps 1/p of its buffer, sends (k-1)/p over NVLink and (p-k)/p over its NIC
  // (pairwise exchange, p-1 steps; both levels proceed concurrently).
  const double p = g.size, k = g.ranks_per_node;
  const double intra = (k - 1) / p * S / env.intra.bw;
  const double inter = g.nodes > 1 ? (p - k) / p * S / env.inter.bw : 0.0;
  return (p - 1) * step_latency(g, env) / std::max(1.0, std::log2(p)) + std::max(intra, inter);
}

double broadcast(double S, const GroupShape& g, const CollectiveEnv& env) {
  // Pipelined ring/tree broadcast: one buffer's time plus a pipeline fill of log2(p) steps.
  return std::ceil(std::log2(static_cast<double>(g.size))) * step_latency(g, env) + S / ring_bw(g, env);
}

}  // namespace

/// Seconds and algorithm of collective_time, before its traffic is filled in.
static CollectiveCost collective_seconds(CollectiveKind kind, double bytes, const GroupShape& g,
                                         const CollectiveEnv& env_in, CollectiveAlgorithm algorithm);

CollectiveTraffic collective_traffic(CollectiveKind kind, CollectiveAlgorithm algorithm, double S,
                                     const GroupShape& g) {
  CollectiveTraffic t;
  if (g.size <= 1 || S <= 0) return t;
  const double p = g.size, k = std::max(1, g.ranks_per_node), n = g.nodes, f = volume_factor(kind);
  const bool across = g.nodes > 1;
  if (kind == CollectiveKind::AllToAll) {
    t.sent_bytes = (p - 1) / p * S;
    t.nic_bytes = across ? (p - k) / p * S : 0.0;
  } else if (kind == CollectiveKind::Broadcast) {
    t.sent_bytes = S;
    t.nic_bytes = across ? S / k : 0.0;
  } else if (algorithm == CollectiveAlgorithm::Tree && kind == CollectiveKind::AllReduce) {
    t.sent_bytes = f * S;
    t.nic_bytes = across ? f * S / k : 0.0;
  } else if (algorithm == CollectiveAlgorithm::Hierarchical) {
    t.sent_bytes = f * (k - 1) / k * S + (across ? f * (n - 1) / n * S / k : 0.0);
    t.nic_bytes = across ? f * (n - 1) / n * S / k : 0.0;
  } else {  // ring, halving-doubling, and the ring that a tree is for other kinds
    t.sent_bytes = f * (p - 1) / p * S;
    t.nic_bytes = across ? f * (p - 1) / p * S / k : 0.0;
  }
  return t;
}

CollectiveCost collective_time(CollectiveKind kind, double bytes, const GroupShape& g, const CollectiveEnv& env_in,
                               CollectiveAlgorithm algorithm) {
  CollectiveCost c = collective_seconds(kind, bytes, g, env_in, algorithm);
  c.traffic = collective_traffic(kind, c.algorithm, bytes, g);
  return c;
}

static CollectiveCost collective_seconds(CollectiveKind kind, double bytes, const GroupShape& g,
                                         const CollectiveEnv& env_in, CollectiveAlgorithm algorithm) {
  if (g.size <= 1 || bytes <= 0) return {0.0, CollectiveAlgorithm::Ring};
  // Message-size dependent bandwidth (n_1/2), evaluated on the collective's buffer.
  CollectiveEnv env = env_in;
  env.intra.bw = env_in.intra.effective_bw(bytes);
  env.inter.bw = env_in.inter.effective_bw(bytes);
  if (kind == CollectiveKind::AllToAll) return {all_to_all(bytes, g, env), CollectiveAlgorithm::Ring};
  if (kind == CollectiveKind::Broadcast) return {broadcast(bytes, g, env), CollectiveAlgorithm::Tree};
  auto cost = [&](CollectiveAlgorithm a) {
    switch (a) {
      case CollectiveAlgorithm::Ring: return ring(kind, bytes, g, env);
      case CollectiveAlgorithm::Tree:
        return kind == CollectiveKind::AllReduce ? tree(kind, bytes, g, env) : ring(kind, bytes, g, env);
      case CollectiveAlgorithm::HalvingDoubling: return halving_doubling(kind, bytes, g, env);
      case CollectiveAlgorithm::Hierarchical: return hierarchical(kind, bytes, g, env);
      case CollectiveAlgorithm::Auto: break;
    }
    return 0.0;
  };
  if (algorithm != CollectiveAlgorithm::Auto) return {cost(algorithm), algorithm};
  CollectiveCost best{cost(CollectiveAlgorithm::Ring), CollectiveAlgorithm::Ring};
  // NCCL (2.x, as its tuner picks without NVLS/CollNet hardware) runs all-gather and
  // reduce-scatter as rings only: its trees and the 2D hierarchical scheme are all-reduce
  // algorithms (NCCL user guide, NCCL_ALGO: "Tree ... AllReduce only"). A hierarchical
  // all-gather must be asked for explicitly (tp_algorithm / dp_algorithm).
  if (kind != CollectiveKind::AllReduce) return best;
  for (auto a : {CollectiveAlgorithm::Tree, CollectiveAlgorithm::Hierarchical}) {
    double t = cost(a);
    if (t < best.seconds) best = {t, a};
  }
  return best;
}

double collective_bus_bw(const GroupShape& g, const CollectiveEnv& env) { return ring_bw(g, env); }

int nccl_sms(double bus_bw) {
  // 12 GB/s per SM reproduces both figures of NVIDIA/nccl #689: 190/12 -> 16 SMs, 24/12 -> 2.
  constexpr double kBytesPerSm = 12e9;
  constexpr int kMinSms = 2, kMaxChannels = 32;
  if (!(bus_bw > 0)) return kMinSms;
  return std::clamp(static_cast<int>(std::ceil(bus_bw / kBytesPerSm - 1e-9)), kMinSms, kMaxChannels);
}

double p2p_time(double bytes, const LinkLevel& link) { return link.latency + bytes / link.effective_bw(bytes); }

}  // namespace trainsim
