// GraphViz DOT export (https://graphviz.org/doc/info/lang.html).
#include <cstdio>

#include "topologies/fabric_export.hpp"

namespace trainsim {

namespace {
const char* shape_of(VertexKind k) {
  switch (k) {
    case VertexKind::Gpu: return "box";
    case VertexKind::Nic: return "ellipse";
    default: return "diamond";
  }
}
std::string gbytes(double bw) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4gGB/s", bw / 1e9);
  return buf;
}
}  // namespace

void write_dot(const Fabric& f, std::ostream& os) {
  os << "graph \"" << f.spec().name << "\" {\n  graph [overlap=false];\n";
  for (VertexId v = 0; v < f.vertex_count(); ++v)
    os << "  " << f.vertex_name(v) << " [shape=" << shape_of(f.vertex(v).kind) << "];\n";
  for (EdgeId e = 0; e < f.link_count(); ++e) {
    const LinkInfo& l = f.link(e);
    os << "  " << f.vertex_name(l.a) << " -- " << f.vertex_name(l.b) << " [label=\"" << to_string(l.cls) << " "
       << gbytes(l.bandwidth) << "\"];\n";
  }
  os << "}\n";
}

}  // namespace trainsim
