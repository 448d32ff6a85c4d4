// DOT and SimGrid XML exports: structure of the text (SimGrid itself loads it in tests/simgrid).
#include <gtest/gtest.h>

#include <sstream>

#include "tests/topologies/fabric_test_util.hpp"
#include "topologies/fabric_export.hpp"

namespace trainsim {
namespace {
using namespace trainsim::testing;

std::size_t occurrences(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(Export, DotHasEveryVertexAndLink) {
  Fabric f(fat_tree_2l());
  std::ostringstream os;
  write_dot(f, os);
  const std::string s = os.str();
  EXPECT_EQ(s.rfind("graph \"test\" {", 0), 0u);
  EXPECT_EQ(occurrences(s, " -- "), f.link_count());
  EXPECT_EQ(occurrences(s, "[shape="), f.vertex_count());
  EXPECT_NE(s.find("leaf0 -- spine0 [label=\"leaf-spine 50GB/s\"]"), std::string::npos);
}

TEST(Export, SimgridFloydXml) {
  Fabric f(fat_tree_2l());
  std::ostringstream os;
  write_simgrid_xml(f, os, SimgridRouting::Floyd);
  const std::string s = os.str();
  EXPECT_NE(s.find("<platform version=\"4.1\">"), std::string::npos);
  EXPECT_NE(s.find("routing=\"Floyd\""), std::string::npos);
  EXPECT_EQ(occurrences(s, "<host "), 64u);
  EXPECT_EQ(occurrences(s, "<router "), f.vertex_count() - 64);
  EXPECT_EQ(occurrences(s, "<link "), f.link_count());
  EXPECT_EQ(occurrences(s, "<route "), 2 * f.link_count());
  EXPECT_NE(s.find("bandwidth=\"5e+10Bps\""), std::string::npos);
  EXPECT_NE(s.find("speed=\"9.894e+14f\""), std::string::npos);
}

TEST(Export, SimgridFullXmlFollowsOurRoutes) {
  Fabric f(base_cluster(2, 2, 2, TopologyKind::SingleSwitch));
  std::ostringstream os;
  write_simgrid_xml(f, os, SimgridRouting::Full);
  const std::string s = os.str();
  EXPECT_EQ(occurrences(s, "<route "), 4u * 3);
  // gpu0 -> gpu2: GPU-NIC, NIC-switch, switch-NIC, NIC-GPU = 4 link_ctn.
  auto p = s.find("<route src=\"gpu0\" dst=\"gpu2\"");
  ASSERT_NE(p, std::string::npos);
  auto e = s.find("</route>", p);
  EXPECT_EQ(occurrences(s.substr(p, e - p), "<link_ctn"), 4u);
}

}  // namespace
}  // namespace trainsim
