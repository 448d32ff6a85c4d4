// `trainsim topo CLUSTER.json [--summary] [--dot FILE|-] [--simgrid-xml FILE|-] [--routing floyd|full]`:
// builds the fabric graph of a cluster and prints a summary or exports it.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "models/util/json_reader.hpp"
#include "sim/cli/command_registry.hpp"
#include "topologies/cluster_spec.hpp"
#include "topologies/fabric_export.hpp"
#include "topologies/fabric_graph.hpp"

namespace trainsim::cli {
namespace {

struct TopoOptions {
  std::string cluster_file;
  bool summary = false;
  std::string dot, xml, routing = "floyd";
};

std::string gbytes(double bw) {
  char b[48];
  std::snprintf(b, sizeof b, "%.2f GB/s", bw / 1e9);
  return b;
}

void print_summary(const Fabric& f, std::ostream& os) {
  const ClusterSpec& c = f.spec();
  os << "cluster       " << c.name << " (" << to_string(c.fabric.topology) << ", " << to_string(c.fabric.kind) << ")\n"
     << "GPUs          " << f.gpus() << " (" << c.gpu.name << ")\n"
     << (c.trays_per_node > 1 ? "domains       " : "nodes         ") << f.nodes() << " x " << c.gpus_per_node
     << " GPUs, " << to_string(c.intra.kind) << ", " << c.nics_per_node << " NICs";
  if (c.trays_per_node > 1) os << " (" << c.trays_per_node << " trays of " << c.gpus_per_tray() << " GPUs)";
  if (c.used_per_node() < c.gpus_per_node) os << ", jobs use " << c.used_per_node() << " GPUs of each";
  os << "\n"
     << "vertices      " << f.vertex_count() << "\nlinks         " << f.link_count() << "\n";
  if (f.tree_levels() > 0) os << "tree levels   " << f.tree_levels() << "\n";
  os << "switches:\n";
  for (int k = 0; k < kVertexKindCount; ++k) {
    auto kind = static_cast<VertexKind>(k);
    if (kind == VertexKind::Gpu || kind == VertexKind::Nic) continue;
    if (auto n = f.count(kind)) os << "  " << to_string(kind) << ": " << n << "\n";
  }
  os << "links per class:\n";
  for (int k = 0; k < kLinkClassCount; ++k)
    if (auto n = f.count(static_cast<LinkClass>(k)))
      os << "  " << to_string(static_cast<LinkClass>(k)) << ": " << n << "\n";
  os << "bisection     " << gbytes(f.bisection_bandwidth()) << " (one direction)\n"
     << "diameter      " << f.diameter_hops() << " links\n"
     << "injection/GPU " << gbytes(f.injection_bandwidth_per_gpu()) << "\n";
}

// Writes to stdout for "-", else to the file; an unwritable file is an input error.
template <class Fn>
void write_to(const std::string& target, Fn&& fn) {
  if (target == "-") {
    fn(std::cout);
    return;
  }
  std::ofstream os(target);
  if (!os) throw InputError(target, "a writable file", "cannot open it");
  fn(os);
}

}  // namespace

static RegisterCommand reg(
    "topo", "Build a cluster's fabric graph: summary, GraphViz DOT or SimGrid platform XML",
    [](CLI::App& app) -> Action {
      auto o = std::make_shared<TopoOptions>();
      app.add_option("cluster", o->cluster_file, "cluster JSON file")->required();
      app.add_flag("--summary", o->summary, "print GPUs, switches, links, bisection, diameter (default)");
      app.add_option("--dot", o->dot, "write GraphViz DOT to FILE ('-' = stdout)");
      app.add_option("--simgrid-xml", o->xml, "write a SimGrid 4.1 platform to FILE ('-' = stdout)");
      app.add_option("--routing", o->routing, "routing of the SimGrid zone: floyd (small fabrics) or full")
          ->check(CLI::IsMember({"floyd", "full"}));
      return [o]() -> int {
        const auto j = read_json_file(o->cluster_file);
        const Fabric f(parse_cluster(JsonReader(j, o->cluster_file)));
        if (!o->dot.empty()) write_to(o->dot, [&](std::ostream& os) { write_dot(f, os); });
        if (!o->xml.empty())
          write_to(o->xml, [&](std::ostream& os) {
            write_simgrid_xml(f, os, o->routing == "full" ? SimgridRouting::Full : SimgridRouting::Floyd);
          });
        if (o->summary || (o->dot.empty() && o->xml.empty())) print_summary(f, std::cout);
        return 0;
      };
    },
    30);

}  // namespace trainsim::cli
