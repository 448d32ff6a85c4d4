// Vertex and link counts of every builder against hand counts (see fabric_test_util.hpp).
#include <gtest/gtest.h>

#include "tests/topologies/fabric_test_util.hpp"

namespace trainsim {
namespace {
using namespace trainsim::testing;

TEST(FabricBuild, SingleNvSwitchNode) {
  Fabric f(base_cluster(1, 8, 0, TopologyKind::FatTree));
  EXPECT_EQ(f.vertex_count(), 9u);  // 8 GPUs + 1 NVSwitch
  EXPECT_EQ(f.link_count(), 8u);
  EXPECT_EQ(f.count(VertexKind::NvSwitch), 1u);
  EXPECT_EQ(f.count(VertexKind::Nic), 0u);
  EXPECT_DOUBLE_EQ(f.link(0).bandwidth, kNvl);
  EXPECT_EQ(f.vertex(5).kind, VertexKind::Gpu);
  EXPECT_EQ(f.vertex(5).index, 5);
}

TEST(FabricBuild, NvLinkMeshSplitsBandwidth) {
  auto c = base_cluster(1, 4, 0, TopologyKind::FatTree);
  c.intra.kind = IntraNodeKind::NVLinkMesh;
  c.intra.bw = 300e9;
  Fabric f(c);
  EXPECT_EQ(f.vertex_count(), 4u);
  EXPECT_EQ(f.link_count(), 6u);  // C(4,2)
  for (EdgeId e = 0; e < 6; ++e) EXPECT_DOUBLE_EQ(f.link(e).bandwidth, 100e9);
}

TEST(FabricBuild, PcieNodesOnSingleSwitch) {
  auto c = base_cluster(2, 4, 1, TopologyKind::SingleSwitch);
  c.intra = {IntraNodeKind::PCIe, 32e9, 5e-6, 0.8};
  Fabric f(c);
  EXPECT_EQ(f.vertex_count(), 13u);  // 8 GPUs + 2 PCIe switches + 2 NICs + 1 switch
  EXPECT_EQ(f.link_count(), 12u);    // 8 GPU-PCIe + 2 NIC-PCIe + 2 NIC-switch
  EXPECT_EQ(f.count(VertexKind::PcieSwitch), 2u);
  EXPECT_EQ(f.count(VertexKind::Leaf), 1u);
  EXPECT_EQ(f.count(LinkClass::PCIe), 10u);
}

TEST(FabricBuild, TwoLevelFatTree) {
  Fabric f(fat_tree_2l());
  EXPECT_EQ(f.count(VertexKind::Gpu), 64u);
  EXPECT_EQ(f.count(VertexKind::Nic), 64u);
  EXPECT_EQ(f.count(VertexKind::Leaf), 8u);
  EXPECT_EQ(f.count(VertexKind::Spine), 4u);
  EXPECT_EQ(f.count(VertexKind::Core), 0u);
  EXPECT_EQ(f.vertex_count(), 64u + 16 + 64 + 8 + 4);
  EXPECT_EQ(f.count(LinkClass::NVLink), 64u);
  EXPECT_EQ(f.count(LinkClass::PCIe), 64u);
  EXPECT_EQ(f.count(LinkClass::Nic), 64u);
  EXPECT_EQ(f.count(LinkClass::LeafSpine), 64u);  // 8 leaves x 8 uplinks
  EXPECT_EQ(f.link_count(), 256u);
  EXPECT_EQ(f.tree_levels(), 2);
}

TEST(FabricBuild, OversubscriptionRemovesUplinks) {
  Fabric f(fat_tree_2l(2.0));
  EXPECT_EQ(f.count(VertexKind::Leaf), 8u);       // floor(16*2/3)=10 ports -> 2 nodes of 4 NICs
  EXPECT_EQ(f.count(LinkClass::LeafSpine), 32u);  // 8 NICs / 2 = 4 uplinks per leaf
  EXPECT_EQ(f.count(VertexKind::Spine), 2u);      // 32 uplinks / radix 16
}

TEST(FabricBuild, ThreeLevelFatTree) {
  Fabric f(fat_tree_3l());
  EXPECT_EQ(f.tree_levels(), 3);
  EXPECT_EQ(f.count(VertexKind::Leaf), 8u);
  EXPECT_EQ(f.count(VertexKind::Spine), 8u);  // 2 pods x 4
  EXPECT_EQ(f.count(VertexKind::Core), 4u);   // 4 planes x 1
  EXPECT_EQ(f.vertex_count(), 100u);          // 32 GPU + 16 NVSwitch + 32 NIC + 20 switches
  EXPECT_EQ(f.count(LinkClass::LeafSpine), 32u);
  EXPECT_EQ(f.count(LinkClass::SpineCore), 32u);
  EXPECT_EQ(f.link_count(), 160u);
}

TEST(FabricBuild, TwoLevelTooManyLeavesIsAnInputError) {
  auto c = base_cluster(64, 8, 8, TopologyKind::FatTree);  // 64 leaves of 1 node > radix 16
  EXPECT_THROW(Fabric{c}, InputError);
}

TEST(FabricBuild, RailOptimized) {
  auto c = base_cluster(8, 8, 8, TopologyKind::RailOptimized);
  Fabric f(c);
  EXPECT_EQ(f.count(VertexKind::Leaf), 8u);   // one rail leaf per NIC index, 8 nodes each
  EXPECT_EQ(f.count(VertexKind::Spine), 4u);  // 64 uplinks / radix 16
  EXPECT_EQ(f.vertex_count(), 64u + 8 + 64 + 8 + 4);
  EXPECT_EQ(f.link_count(), 256u);
}

TEST(FabricBuild, Dragonfly) {
  Fabric f(dragonfly_small());
  EXPECT_EQ(f.count(VertexKind::Router), 8u);
  EXPECT_EQ(f.count(LinkClass::DragonflyLocal), 4u);   // 4 groups x C(2,2)
  EXPECT_EQ(f.count(LinkClass::DragonflyGlobal), 6u);  // C(4,2): one per group pair
  EXPECT_EQ(f.vertex_count(), 56u);
  EXPECT_EQ(f.link_count(), 58u);
}

TEST(FabricBuild, DragonflyNeedsAGlobalLinkPerGroupPair) {
  auto c = dragonfly_small();
  c.fabric.dragonfly = {8, 2, 1, 2};  // 4 global ports per group < 7 other groups
  c.nodes = 16;
  EXPECT_THROW(Fabric{c}, InputError);
}

TEST(FabricBuild, Torus2DAnd3D) {
  Fabric f2(torus({4, 4}));
  EXPECT_EQ(f2.count(VertexKind::TorusSwitch), 16u);
  EXPECT_EQ(f2.count(LinkClass::Torus), 32u);  // 2 per node
  EXPECT_EQ(f2.vertex_count(), 64u);
  Fabric f3(torus({4, 4, 2}));
  EXPECT_EQ(f3.count(LinkClass::Torus), 32u * 2 + 16);  // a ring of 2 has a single link
}

TEST(FabricBuild, CloudRacks) {
  auto c = base_cluster(16, 8, 1, TopologyKind::Cloud);
  c.fabric.kind = FabricKind::Ethernet;
  c.fabric.oversubscription = {3.0};
  Fabric f(c);
  EXPECT_EQ(f.count(VertexKind::Leaf), 2u);  // floor(16*3/4)=12 VMs per ToR
  EXPECT_EQ(f.count(VertexKind::Spine), 1u);
  EXPECT_EQ(f.count(LinkClass::CloudTorSpine), 8u);  // ceil(12/3)=4 uplinks per ToR
  EXPECT_EQ(f.count(LinkClass::PCIe), 128u);         // 8 GPUs share each VM's NIC
  EXPECT_DOUBLE_EQ(f.injection_bandwidth_per_gpu(), kNic / 8);
}

TEST(FabricBuild, GpuVertexIsRank) {
  Fabric f(fat_tree_2l());
  for (int r : {0, 5, 17, 63}) {
    EXPECT_EQ(f.vertex(Fabric::gpu_vertex(r)).kind, VertexKind::Gpu);
    EXPECT_EQ(f.vertex(Fabric::gpu_vertex(r)).node, r / 4);
    EXPECT_EQ(f.vertex_name(Fabric::gpu_vertex(r)), "gpu" + std::to_string(r));
  }
}

TEST(FabricBuild, FromClusterJson) {
  auto j = parse_json_text(R"({"gpu": "H100-SXM5-80GB", "nodes": 4, "gpus_per_node": 8, "nics_per_node": 8,
      "nic_gbps": 400, "fabric": {"topology": "rail-optimized", "levels": 2, "switch_radix": 64}})",
                           "<inline>");
  Fabric f(parse_cluster(JsonReader(j, "<inline>")));
  EXPECT_EQ(f.count(VertexKind::Leaf), 8u);  // one leaf per rail
  EXPECT_EQ(f.count(VertexKind::Gpu), 32u);
  EXPECT_DOUBLE_EQ(f.injection_bandwidth_per_gpu(), 50e9);
}

TEST(FabricBuild, ErrorFoundWhileBuildingNamesTheFileAndPath) {
  // 4,096 nodes x 8 NICs need 512 leaves of radix 64: more than a 2-level tree can hold.
  auto j = parse_json_text(R"({"gpu": "H100-SXM5-80GB", "nodes": 4096, "gpus_per_node": 8, "nics_per_node": 8,
      "nic_gbps": 400, "fabric": {"topology": "fat-tree", "levels": 2, "switch_radix": 64}})",
                           "clusters/huge.json");
  const ClusterSpec c = parse_cluster(JsonReader(j, "clusters/huge.json"));
  try {
    Fabric f(c);
    FAIL() << "a 2-level fat-tree of radix 64 cannot hold 512 leaves";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "clusters/huge.json: $.fabric.levels");
    EXPECT_NE(std::string(e.what()).find("at most 64 leaves"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace trainsim
