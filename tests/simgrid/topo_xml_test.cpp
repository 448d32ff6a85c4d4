// The SimGrid platform XML that `trainsim topo --simgrid-xml` writes is loaded by SimGrid 3.32
// itself. One Engine per process: gtest_discover_tests runs each TEST in its own process.
#include <gtest/gtest.h>
#include <simgrid/s4u.hpp>

#include <filesystem>
#include <fstream>

#include "models/gpu/gpu_catalog.hpp"
#include "tests/simgrid/sim_test_util.hpp"
#include "topologies/fabric_export.hpp"

namespace trainsim {
namespace {

void load_and_check(SimgridRouting routing, const char* file) {
  Fabric f(sgtest::tiny_cluster());  // 4 leaves of 2 NICs, 2 uplinks each, 2 spines
  const auto path = std::filesystem::temp_directory_path() / file;
  {
    std::ofstream os(path);
    write_simgrid_xml(f, os, routing);
  }
  int argc = 1;
  char arg0[] = "topo_xml_test";
  char* argv[] = {arg0, nullptr};
  simgrid::s4u::Engine e(&argc, argv);
  e.load_platform(path.string());
  // 3.32 computes Floyd tables when the root zone is sealed, which load_platform leaves to run().
  e.get_netzone_root()->seal();
  EXPECT_EQ(e.get_host_count(), 8u);
  // A SPLITDUPLEX link is two one-way links in SimGrid (l_UP, l_DOWN), plus SimGrid's own loopback.
  EXPECT_EQ(e.get_link_count(), 2 * f.link_count() + 1);
  auto* h0 = e.host_by_name("gpu0");
  auto* h7 = e.host_by_name("gpu7");
  std::vector<simgrid::s4u::Link*> links;
  double lat = 0;
  h0->route_to(h7, links, &lat);
  // gpu0 (node 0, leaf 0) -> gpu7 (node 3, leaf 3): GPU-NIC, NIC-leaf, leaf-spine, spine-leaf, leaf-NIC, NIC-GPU.
  EXPECT_EQ(links.size(), 6u);
  EXPECT_NEAR(lat, f.path_latency(f.route(0, 7)), 1e-12);
  std::filesystem::remove(path);
}

TEST(TopoXml, FloydPlatformLoads) { load_and_check(SimgridRouting::Floyd, "trainsim_topo_floyd.xml"); }
TEST(TopoXml, FullPlatformLoads) { load_and_check(SimgridRouting::Full, "trainsim_topo_full.xml"); }

}  // namespace
}  // namespace trainsim
