// Scale-up domains beyond a server (issue #20 item 1): a GB200 NVL72 rack is 18 compute trays of 4
// GPUs on NVLink switches. The network sees one node of 72 GPUs and 72 NICs; trays keep the NICs'
// rails; a job may use 64 of each domain's 72 GPUs.
#include <gtest/gtest.h>

#include <string>

#include "models/util/errors.hpp"
#include "models/util/json_reader.hpp"
#include "topologies/cluster_spec.hpp"
#include "topologies/fabric_graph.hpp"

namespace trainsim {
namespace {

nlohmann::json nvl72(int trays, const std::string& topology = "rail-optimized") {
  return {{"gpu", "GB200"},
          {"nodes", trays},
          {"gpus_per_node", 4},
          {"scale_up_domain", {{"gpus", 72}}},
          {"nics_per_node", 4},
          {"nic_gbps", 400},
          {"fabric", {{"topology", topology}, {"levels", 2}, {"switch_radix", 64}}}};
}

std::string error_of(const nlohmann::json& j) {
  try {
    parse_cluster(JsonReader(j, "c.json"));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ScaleUpDomain, ARackOfTraysIsOneNodeOfTheNetwork) {
  const ClusterSpec c = parse_cluster(JsonReader(nvl72(144), "c.json"));
  EXPECT_EQ(c.nodes, 8);  // 144 trays / 18 per rack
  EXPECT_EQ(c.gpus_per_node, 72);
  EXPECT_EQ(c.trays_per_node, 18);
  EXPECT_EQ(c.gpus_per_tray(), 4);
  EXPECT_EQ(c.nics_per_node, 72);
  EXPECT_EQ(c.gpus(), 576);
  EXPECT_EQ(c.job_gpus(), 576);
  EXPECT_DOUBLE_EQ(c.intra.bw, 900e9);              // NVLink 5: 1.8 TB/s per GPU, 900 GB/s per direction
  EXPECT_DOUBLE_EQ(c.nic_bw_per_gpu(), 400e9 / 8);  // one 400 Gb/s NIC per GPU, as in the tray
  EXPECT_EQ(c.gpu_of_rank(100), 100);
}

TEST(ScaleUpDomain, AJobUsing64Of72GpusSkipsTheLastEightOfEachDomain) {
  auto j = nvl72(144);
  j["scale_up_domain"]["gpus_used"] = 64;
  const ClusterSpec c = parse_cluster(JsonReader(j, "c.json"));
  EXPECT_EQ(c.job_gpus(), 512);
  EXPECT_EQ(c.used_per_node(), 64);
  EXPECT_EQ(c.gpu_of_rank(63), 63);
  EXPECT_EQ(c.gpu_of_rank(64), 72);  // rank 64 opens the second rack
  EXPECT_EQ(c.gpu_of_rank(511), 7 * 72 + 63);
}

TEST(ScaleUpDomain, DomainAwarePlacementUsesTheMostWholeGroupBlocksThatFit) {
  EXPECT_EQ(domain_aware_ranks(72, 16, 1, 16, 1), 64);  // 4 TP groups of 16 per rack
  EXPECT_EQ(domain_aware_ranks(72, 8, 1, 8, 1), 72);    // 9 groups of 8: all used
  EXPECT_EQ(domain_aware_ranks(72, 1, 1, 1, 64), 64);   // one EP group of 64 per rack
  EXPECT_EQ(domain_aware_ranks(72, 4, 1, 4, 16), 64);   // TP 4 inside EP blocks of 64
  EXPECT_EQ(domain_aware_ranks(72, 8, 1, 1, 12), 72);   // lcm(8, 12) = 24 divides 72
  EXPECT_EQ(domain_aware_ranks(72, 1, 1, 1, 128), 72);  // too big for a rack: Megatron's order
  auto j = nvl72(144);
  j["scale_up_domain"]["placement"] = "domain-aware";
  EXPECT_TRUE(parse_cluster(JsonReader(j, "c.json")).domain_aware_placement);
  j["scale_up_domain"]["gpus_used"] = 64;
  EXPECT_NE(error_of(j).find("$.scale_up_domain.placement"), std::string::npos) << error_of(j);
}

TEST(ScaleUpDomain, RailsAreTheTrayNicPositions) {
  // Rail-optimized: NIC i of each tray on rail i; a rail leaf of radix 64 takes 32 trays, so 144
  // trays need 5 leaves per rail, 20 in all (72 rails of one leaf each would need 72 > 64 leaves).
  Fabric f(parse_cluster(JsonReader(nvl72(144), "c.json")));
  EXPECT_EQ(f.count(VertexKind::Leaf), 20u);
  EXPECT_EQ(f.count(VertexKind::Gpu), 576u);
  EXPECT_EQ(f.count(VertexKind::Nic), 576u);
  EXPECT_EQ(f.count(VertexKind::NvSwitch), 8u);  // one NVLink switch system per rack
  EXPECT_DOUBLE_EQ(f.injection_bandwidth_per_gpu(), 50e9);
  // Fat-tree: NICs fill leaves in order (32 down ports each, 8 trays): 576 / 32 = 18 leaves.
  Fabric t(parse_cluster(JsonReader(nvl72(144, "fat-tree"), "c.json")));
  EXPECT_EQ(t.count(VertexKind::Leaf), 18u);
}

TEST(ScaleUpDomain, ErrorsNameTheField) {
  EXPECT_NE(error_of(nvl72(140)).find("c.json: $.nodes"), std::string::npos) << error_of(nvl72(140));
  auto both = nvl72(144);
  both["intra_node"] = {{"kind", "nvswitch"}};
  EXPECT_NE(error_of(both).find("$.scale_up_domain"), std::string::npos) << error_of(both);
  auto odd = nvl72(144);
  odd["scale_up_domain"]["gpus"] = 70;
  EXPECT_NE(error_of(odd).find("$.scale_up_domain.gpus"), std::string::npos) << error_of(odd);
  auto pcie = nvl72(144);
  pcie["scale_up_domain"]["kind"] = "pcie";
  EXPECT_NE(error_of(pcie).find("$.scale_up_domain.kind"), std::string::npos) << error_of(pcie);
  auto used = nvl72(144);
  used["scale_up_domain"]["gpus_used"] = 80;
  EXPECT_NE(error_of(used).find("$.scale_up_domain.gpus_used"), std::string::npos) << error_of(used);
}

TEST(Stragglers, SeededDrawsAreReproducibleAndAsFrequentAsAsked) {
  // 16,384 GPUs (2,048 DGX nodes), "1 in 1,000 GPUs 10% slow": about 16 (binomial sd 4).
  nlohmann::json j = {{"gpu", "H100-SXM5-80GB"}, {"nodes", 2048},   {"gpus_per_node", 8},
                      {"nics_per_node", 8},      {"nic_gbps", 400}, {"fabric", {{"levels", 3}, {"switch_radix", 64}}}};
  j["stragglers"] = {{"random", {{"one_in", 1000}, {"clock", 0.9}, {"seed", 7}}},
                     {"gpus", {{{"gpu", 5}, {"clock", 0.5}}}}};
  const ClusterSpec a = parse_cluster(JsonReader(j, "c.json"));
  EXPECT_GE(a.slow_gpus.size(), 6u);
  EXPECT_LE(a.slow_gpus.size(), 30u);
  EXPECT_EQ(a.slow_gpus.front().gpu <= 5, true);
  for (const auto& g : a.slow_gpus) EXPECT_EQ(g.clock, g.gpu == 5 ? 0.5 : 0.9);
  const ClusterSpec again = parse_cluster(JsonReader(j, "c.json"));
  ASSERT_EQ(again.slow_gpus.size(), a.slow_gpus.size());
  for (std::size_t i = 0; i < a.slow_gpus.size(); ++i) EXPECT_EQ(again.slow_gpus[i].gpu, a.slow_gpus[i].gpu);
  j["stragglers"]["random"]["seed"] = 8;
  const ClusterSpec other = parse_cluster(JsonReader(j, "c.json"));
  bool differs = other.slow_gpus.size() != a.slow_gpus.size();
  for (std::size_t i = 0; !differs && i < a.slow_gpus.size(); ++i)
    differs = other.slow_gpus[i].gpu != a.slow_gpus[i].gpu;
  EXPECT_TRUE(differs);
  // Thermal throttling of 5 % of the GPUs: 819 expected, sd 28.
  j["stragglers"] = {{"throttled", {{"fraction", 0.05}, {"clock", 0.85}}}};
  const auto throttled = parse_cluster(JsonReader(j, "c.json")).slow_gpus.size();
  EXPECT_GT(throttled, 700u);
  EXPECT_LT(throttled, 940u);
  j["stragglers"] = {{"gpus", {{{"gpu", 16384}, {"clock", 0.9}}}}};
  EXPECT_NE(error_of(j).find("$.stragglers.gpus[0].gpu"), std::string::npos) << error_of(j);
  j["stragglers"] = {{"gpus", {{{"gpu", 1}, {"clock", 0}}}}};
  EXPECT_NE(error_of(j).find("$.stragglers.gpus[0].clock"), std::string::npos) << error_of(j);
  j.erase("stragglers");
  j["degraded_links"] = {{{"node", 3}, {"nic", 8}, {"bandwidth_fraction", 0.5}}};
  EXPECT_NE(error_of(j).find("$.degraded_links[0].nic"), std::string::npos) << error_of(j);
}

TEST(Stragglers, ADegradedNicOfAnNvl72TrayIsItsRacksNicAndItsLinkSlows) {
  auto j = nvl72(144);
  j["degraded_links"] = {{{"node", 19}, {"nic", 2}, {"bandwidth_fraction", 0.5}}};  // tray 1 of rack 1
  const ClusterSpec c = parse_cluster(JsonReader(j, "c.json"));
  ASSERT_EQ(c.degraded_nics.size(), 1u);
  EXPECT_EQ(c.degraded_nics[0].node, 1);
  EXPECT_EQ(c.degraded_nics[0].nic, 6);  // tray 1's NICs are the rack's 4..7
  Fabric f(c);
  int halved = 0;
  for (EdgeId e = 0; e < f.link_count(); ++e)
    if (f.link(e).cls == LinkClass::Nic && f.link(e).bandwidth == 25e9) ++halved;
  EXPECT_EQ(halved, 1);
}

}  // namespace
}  // namespace trainsim
