// SimGrid platform XML export, DTD v4.1 (https://simgrid.org/doc/latest/platform.html).
// Facts relied on (SimGrid 3.32): a SPLITDUPLEX link "l" is two one-way links l_UP/l_DOWN, chosen
// in a route by <link_ctn direction="UP|DOWN">; Floyd zones take one-hop routes between any
// netpoints (hosts and routers) and compute the rest.
#include <cstdio>

#include "topologies/fabric_export.hpp"

namespace trainsim {

namespace {
std::string num(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}
}  // namespace

void write_simgrid_xml(const Fabric& f, std::ostream& os, SimgridRouting routing) {
  const ClusterSpec& c = f.spec();
  // Host speed: dense FP16/BF16 tensor peak, the rate training GEMMs are measured against.
  const double speed = c.gpu.peak_tflops_fp16 > 0 ? c.gpu.peak_tflops_fp16 * 1e12 : 1e12;
  os << "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
     << "<platform version=\"4.1\">\n"
     << "  <zone id=\"" << (c.name.empty() ? "cluster" : c.name) << "\" routing=\""
     << (routing == SimgridRouting::Floyd ? "Floyd" : "Full") << "\">\n";
  for (int r = 0; r < f.gpus(); ++r)
    os << "    <host id=\"" << f.vertex_name(Fabric::gpu_vertex(r)) << "\" speed=\"" << num(speed) << "f\"/>\n";
  for (VertexId v = static_cast<VertexId>(f.gpus()); v < f.vertex_count(); ++v)
    os << "    <router id=\"" << f.vertex_name(v) << "\"/>\n";
  for (EdgeId e = 0; e < f.link_count(); ++e) {
    const LinkInfo& l = f.link(e);
    os << "    <link id=\"l" << e << "\" bandwidth=\"" << num(l.bandwidth) << "Bps\" latency=\"" << num(l.latency_s)
       << "s\" sharing_policy=\"SPLITDUPLEX\"/>\n";
  }
  auto ctn = [&](EdgeId e, VertexId from) {
    os << "<link_ctn id=\"l" << e << "\" direction=\"" << (f.link(e).a == from ? "UP" : "DOWN") << "\"/>";
  };
  if (routing == SimgridRouting::Floyd) {
    // Both directions explicitly, so each takes its own half of the duplex link.
    for (EdgeId e = 0; e < f.link_count(); ++e) {
      const LinkInfo& l = f.link(e);
      for (int dir = 0; dir < 2; ++dir) {
        VertexId s = dir ? l.b : l.a, d = dir ? l.a : l.b;
        os << "    <route src=\"" << f.vertex_name(s) << "\" dst=\"" << f.vertex_name(d) << "\" symmetrical=\"NO\">";
        ctn(e, s);
        os << "</route>\n";
      }
    }
  } else {
    std::vector<EdgeId> path;
    for (int s = 0; s < f.gpus(); ++s)
      for (int d = 0; d < f.gpus(); ++d) {
        if (s == d) continue;
        f.route(s, d, 0, RoutingPolicy::Default, path);
        os << "    <route src=\"" << f.vertex_name(Fabric::gpu_vertex(s)) << "\" dst=\""
           << f.vertex_name(Fabric::gpu_vertex(d)) << "\" symmetrical=\"NO\">";
        VertexId v = Fabric::gpu_vertex(s);
        for (EdgeId e : path) {
          ctn(e, v);
          v = f.link(e).a == v ? f.link(e).b : f.link(e).a;
        }
        os << "</route>\n";
      }
  }
  os << "  </zone>\n</platform>\n";
}

}  // namespace trainsim
