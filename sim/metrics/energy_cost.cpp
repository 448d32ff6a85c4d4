#include "sim/metrics/energy_cost.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>

#include "models/compute/compute_model.hpp"
#include "models/cost/cloud_pricing.hpp"
#include "models/cost/onprem_tco.hpp"
#include "models/power/power_spec.hpp"
#include "models/reliability/failure_model.hpp"
#include "models/storage/checkpoint_io.hpp"
#include "models/storage/data_loading.hpp"
#include "models/storage/storage_spec.hpp"
#include "sim/metrics/activity.hpp"
#include "sim/metrics/metrics.hpp"
#include "sim/scenario/scenario_profile.hpp"
#include "topologies/fabric_graph.hpp"

namespace trainsim {

namespace {

/// Tokenised data: one int32 id per token (Megatron-LM's indexed datasets store int32 ids when the
/// vocabulary exceeds 65,535 entries, uint16 below; int32 is the conservative choice).
constexpr double kBytesPerToken = 4.0;
/// One file (or object) per sample: the worst case for metadata / request latency. Packed shards
/// (WebDataset, Megatron .bin) open far fewer files; this default never under-predicts a stall.
constexpr double kSamplesPerFile = 1.0;
/// Checkpointed bytes per parameter with mixed-precision Adam: bf16 weights (2) + fp32 master
/// weights, Adam m and v (4 + 4 + 4). Gradients are not saved. (Rajbhandari et al., ZeRO, SC'20,
/// count 16 bytes of model state per parameter, the extra 2 being the bf16 gradients.)
constexpr double kCheckpointBytesPerParam = 14.0;

/// Fabric switches (leaf, spine, core, routers, torus switches) serving the job's nodes: the whole
/// cluster's count from the Fabric graph scaled by the job's share of the nodes. In-node switches
/// (NVSwitch, PCIe) are part of the host power. Falls back to one leaf per nodes_per_leaf() nodes
/// when the graph cannot be built.
/// The cluster's switch count, memoised by cluster description: building the Fabric graph of a
/// large cluster takes milliseconds, and a strategy search asks for it thousands of times.
double cluster_switches(const ClusterSpec& c, const nlohmann::json& cluster_json) {
  static std::mutex mu;
  static std::map<std::string, double> memo;
  const std::string key = cluster_json.dump() + "|" + std::to_string(c.nodes);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = memo.find(key); it != memo.end()) return it->second;
  }
  double total = 0;
  try {
    Fabric f(c);
    for (VertexKind k :
         {VertexKind::Leaf, VertexKind::Spine, VertexKind::Core, VertexKind::Router, VertexKind::TorusSwitch})
      total += static_cast<double>(f.count(k));
  } catch (const std::exception&) {
    total = std::ceil(c.nodes / static_cast<double>(std::max(1, c.nodes_per_leaf())));
  }
  std::lock_guard<std::mutex> lock(mu);
  if (memo.size() > 4096) memo.clear();
  memo[key] = total;
  return total;
}

int job_switches(const ClusterSpec& c, const nlohmann::json& cluster_json, int job_nodes) {
  const double total = cluster_switches(c, cluster_json);
  if (c.nodes <= 0) return 0;
  return static_cast<int>(std::ceil(total * std::min(1.0, job_nodes / static_cast<double>(c.nodes)) - 1e-9));
}

}  // namespace

double data_bytes_per_iteration(const TransformerConfig& model, const Strategy& s) {
  return static_cast<double>(s.global_batch) * static_cast<double>(model.seq_len) * kBytesPerToken;
}

double checkpoint_state_bytes(const TransformerConfig& model) {
  return static_cast<double>(count_parameters(model).total) * kCheckpointBytesPerParam;
}

StorageSpec storage_spec_for(const Scenario& sc, int nodes) {
  const JsonReader cr = cluster_reader(sc);
  if (auto s = cr.opt_object("storage")) return parse_storage(*s, nodes);
  return default_storage_spec(nodes);
}

JsonReader cluster_reader(const Scenario& sc) {
  const nlohmann::json cj = sc.cluster_json.is_object() ? sc.cluster_json : nlohmann::json::object();
  // The cluster is inline in the scenario ($.cluster) or its own file ($); Scenario keeps only the
  // object, so look at how the scenario file names it.
  std::string origin = sc.origin, path = "$.cluster";
  std::error_code ec;
  if (!sc.origin.empty() && std::filesystem::is_regular_file(sc.origin, ec)) {
    try {
      const auto sj = read_json_file(sc.origin);
      if (sj.is_object() && sj.contains("cluster") && sj.at("cluster").is_string()) {
        origin = sj.at("cluster").get<std::string>();
        path = "$";
      }
    } catch (const std::exception&) {
    }
  }
  return JsonReader(cj, origin, path);
}

EnergyCostReport energy_cost_report(const Scenario& sc, const Strategy& strategy, const ActivityBreakdown& activity,
                                    const Metrics& m, const StorageTraffic& simulated) {
  EnergyCostReport rep;
  const TransformerConfig& model = sc.workload.model;
  const JsonReader cr = cluster_reader(sc);
  const ClusterSpec& c = sc.cluster;
  const int gpus = m.gpus;
  // The job holds whole scale-up domains (a server, or an NVL72 rack) of which it uses
  // used_per_node() GPUs; hosts, NICs and failures count per compute tray.
  const int per_domain = std::max(1, c.used_per_node());
  const int domains = std::max(1, (gpus + per_domain - 1) / per_domain);
  const int nodes = domains * std::max(1, c.trays_per_node);
  // GPUs paid for: the idle GPUs of partly used domains too.
  const int held_gpus = c.used_per_node() < c.gpus_per_node ? domains * c.gpus_per_node : gpus;
  const double T = m.iteration_time_s;
  const double seq = static_cast<double>(model.seq_len);
  const double samples = static_cast<double>(strategy.global_batch);
  const double tokens_per_iteration = samples * seq;
  const double iterations = m.train_tokens > 0 ? m.train_tokens / tokens_per_iteration : 0.0;

  // 1. Storage: data loading and the stall it leaves after prefetching.
  StorageSpec storage = default_storage_spec(nodes);
  if (auto s = cr.opt_object("storage")) storage = parse_storage(*s, nodes);
  DataLoadDemand d;
  d.samples_per_iteration = samples;
  d.bytes_per_sample = seq * kBytesPerToken;
  d.samples_per_file = kSamplesPerFile;
  d.dataset_bytes = m.train_tokens * kBytesPerToken;
  d.epoch = 0;  // LLM pre-training reads its corpus about once
  d.nodes = nodes;
  const DataLoadResult load = data_loading(storage, d, T, true);
  auto& st = rep.storage;
  st.source = storage.source == DataSource::ObjectStore ? "object_store" : "parallel_fs";
  st.tier = load.tier;
  st.bytes_per_sample = d.bytes_per_sample;
  st.bytes_per_iteration = data_bytes_per_iteration(model, strategy);
  st.load_s = load.load_s;
  st.data_stall_s = load.stall_s;
  st.iteration_time_with_io_s = T + load.stall_s;
  const double Tio = st.iteration_time_with_io_s;

  // 2. Energy of one iteration (the stall keeps the GPUs idle).
  const PowerSpec power = power_from_cluster(cr, c.gpu, c.gpus_per_tray());
  auto& en = rep.energy;
  en.activity = activity;
  en.activity.idle_s += load.stall_s;
  en.counts.gpus = gpus;
  en.counts.idle_gpus = held_gpus - gpus;
  en.counts.nodes = nodes;
  en.counts.nics = domains * c.nics_per_node;
  en.counts.switches = job_switches(c, sc.cluster_json, domains);
  en.counts.ports_per_switch = c.fabric.switch_radix;
  en.counts.storage_servers = storage.source == DataSource::ParallelFs ? storage.pfs.servers : 0;
  en.per_iteration = iteration_energy(power, en.activity, en.counts);
  en.iterations = iterations;
  en.pue = power.pue;
  en.carbon_g_per_kwh = power.carbon_g_per_kwh;
  en.run_kwh = run_energy_kwh(en.per_iteration, iterations);
  en.co2_kg = co2_kg(en.run_kwh, power.carbon_g_per_kwh);

  // 3. Reliability: checkpoint size and time, MTBF, Daly's interval, expected wall time.
  FailureRates rates = default_failure_rates();
  if (auto r = cr.opt_object("reliability")) rates = parse_reliability(*r);
  auto& rl = rep.reliability;
  rl.state_bytes = checkpoint_state_bytes(model);
  // Async checkpoints block for the pinned device-to-host copy (models/gpu/host_catalog.cpp).
  const CheckpointIo ck = checkpoint_io(storage, rl.state_bytes, nodes, gpus, c.host.d2h_bw, false);
  rl.checkpoint_write_s = ck.write_s;
  rl.checkpoint_restore_s = ck.restore_s;
  rl.checkpoint_blocking_s = ck.blocking_s;
  rl.restart_s = rates.restart_s;
  rl.job_mtbf_s = job_mtbf_s(rates, gpus, nodes, en.counts.nics);
  rl.ideal_time_to_train_s = iterations * Tio;
  if (std::isfinite(rl.job_mtbf_s)) {
    rl.young_interval_s = young_interval_s(ck.blocking_s, rl.job_mtbf_s);
    rl.daly_interval_s = daly_interval_s(ck.blocking_s, rl.job_mtbf_s);
    rl.expected = time_to_train(rl.ideal_time_to_train_s, ck.blocking_s, rates.restart_s, rl.job_mtbf_s,
                                rates.checkpoint_interval_s);
  } else {  // no failures: nothing to checkpoint against
    rl.expected.wall_s = rl.ideal_time_to_train_s;
    rl.expected.goodput = 1.0;
  }
  const double goodput = rl.expected.goodput > 0 ? rl.expected.goodput : 1.0;
  en.run_kwh_with_failures = en.run_kwh / goodput;  // wasted time drawn at the average power
  en.co2_kg_with_failures = co2_kg(en.run_kwh_with_failures, power.carbon_g_per_kwh);

  // 4. Cost.
  CostSpec cost = default_cost();
  if (auto r = cr.opt_object("cost")) cost = parse_cost(*r);
  price_cost_from_catalog(cost, c.gpu.name, c.gpus_per_tray(), cr.where("cost"));
  auto& co = rep.cost;
  if (cost.model == CostModel::Cloud) {
    co.model = "cloud";
    co.market = to_string(cost.cloud.market);
    co.price_source = cost.cloud.price_source;
    co.unpriced = cost.cloud.unpriced;
    co.price_field = cost.cloud.price_field;
    const double interval = std::isfinite(rl.expected.interval_s) ? rl.expected.interval_s : 0.0;
    co.usd_per_hour = cloud_cluster_usd_per_hour(cost.cloud, held_gpus, nodes, interval);
  } else {
    co.model = "on_prem";
    co.price_source = cost.on_prem.capex_source;
    const int sw = en.counts.switches, ss = en.counts.storage_servers;
    co.capex_usd = onprem_capex_usd(cost.on_prem, nodes, sw, ss);
    const OnPremHourly h = onprem_cost_per_hour(cost.on_prem, nodes, sw, ss, en.per_iteration.average_power_w);
    co.onprem_capital_usd_per_hour = h.capital_usd;
    co.onprem_maintenance_usd_per_hour = h.maintenance_usd;
    co.onprem_energy_usd_per_hour = h.energy_usd;
    co.onprem_utilisation = cost.on_prem.utilisation;
    co.usd_per_hour = h.total_usd();
  }
  co.usd_per_gpu_hour = co.usd_per_hour / std::max(1, gpus);
  co.run = run_cost(co.usd_per_hour, Tio, iterations, tokens_per_iteration);
  co.usd_per_run_with_failures = co.usd_per_hour * rl.expected.wall_s / 3600.0;
  if (cost.roi) co.roi = roi(*cost.roi);
  rep.valid = true;
  if (simulated.simulated) {  // the SimGrid engine simulated the storage flows on the fabric
    auto& st = rep.storage;
    st.simulated = simulated;
    st.simulated_data_stall_s = std::max(0.0, simulated.load_s - T);
    st.simulated_iteration_time_with_io_s = T + st.simulated_data_stall_s;
    st.contention_slowdown_s = T - simulated.iteration_time_without_storage;
  }
  return rep;
}

}  // namespace trainsim
