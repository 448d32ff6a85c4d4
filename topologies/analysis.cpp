// Graph-wide analyses on the built fabric: bisection bandwidth (max-flow over structured
// balanced cuts) and diameter (breadth-first search), both with Boost.Graph.
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "topologies/fabric_model.hpp"

namespace trainsim {

namespace {

// Capacities in integer units of 1 MB/s: push-relabel on floating point can stall on rounding;
// 1 MB/s is far below any link rate, and int64 holds 9e18 of them.
constexpr double kUnit = 1e6;

using FlowTraits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<boost::edge_capacity_t, long long,
                    boost::property<boost::edge_residual_capacity_t, long long,
                                    boost::property<boost::edge_reverse_t, FlowTraits::edge_descriptor>>>>;

// Max flow from the GPUs with side[rank] == true to the others. Each full-duplex link becomes
// two opposite arcs of its per-direction capacity, each with a zero-capacity reverse arc
// (the textbook residual-network form that Boost's push-relabel expects).
double max_flow_between(const FabricModel& m, const std::vector<char>& side) {
  const std::size_t nv = boost::num_vertices(m.g);
  FlowGraph fg(nv + 2);
  const auto s = static_cast<FlowTraits::vertex_descriptor>(nv), t = s + 1;
  auto cap = boost::get(boost::edge_capacity, fg);
  auto rev = boost::get(boost::edge_reverse, fg);
  auto arc = [&](std::size_t u, std::size_t v, long long c) {
    auto e1 = boost::add_edge(u, v, fg).first;
    auto e2 = boost::add_edge(v, u, fg).first;
    cap[e1] = c;
    cap[e2] = 0;
    rev[e1] = e2;
    rev[e2] = e1;
  };
  long long total = 0;
  for (const LinkInfo& l : m.links) {
    const long long c = std::max(1LL, std::llround(l.bandwidth / kUnit));
    arc(l.a, l.b, c);
    arc(l.b, l.a, c);
    total += 2 * c;
  }
  // The source and sink arcs must never bind: any capacity above the whole fabric's does. Not a
  // value near LLONG_MAX: push-relabel sums the source's arcs and pushes excesses, and
  // LLONG_MAX / 4 per GPU overflowed long long (undefined behaviour, found by UBSan; the Bisection
  // tests cover it in the sanitizer build, docs/sanitizers.md). n GPUs x (total + 1) stays far
  // below 9e18 (16k GPUs x 1e12 MB/s would be needed to reach it).
  const long long inf = total + 1;
  for (std::size_t r = 0; r < side.size(); ++r) {
    if (side[r])
      arc(s, r, inf);
    else
      arc(r, t, inf);
  }
  const long long f = boost::push_relabel_max_flow(fg, s, t);
  return static_cast<double>(f) * kUnit;
}

}  // namespace

double Fabric::bisection_bandwidth() const {
  const FabricModel& m = *m_;
  if (m.bisection) return *m.bisection;
  const int n = m.spec.gpus();
  double best = 0;
  if (n >= 2) {
    // Cut 1: first half of the ranks against the second half. On trees this splits whole
    // leaves and pods; on a dragonfly whole groups; on a torus it halves the last dimension.
    std::vector<char> side(n, 0);
    for (int r = 0; r < n / 2; ++r) side[r] = 1;
    best = max_flow_between(m, side);
    // Torus: halve every even dimension; the narrowest such cut is the bisection
    // (Dally & Towles 2004, Sec. 3.3: 2 * N / k links across the largest even ring k).
    if (m.torus) {
      const auto& dims = m.torus->dims;
      for (std::size_t d = 0; d < dims.size(); ++d) {
        if (dims[d] < 2 || dims[d] % 2) continue;
        for (int r = 0; r < n; ++r) side[r] = m.torus->coords(r / m.spec.gpus_per_node)[d] < dims[d] / 2;
        best = std::min(best, max_flow_between(m, side));
      }
    }
  }
  m.bisection = best;
  return best;
}

int Fabric::diameter_hops() const {
  const FabricModel& m = *m_;
  if (m.diameter) return *m.diameter;
  const int n = m.spec.gpus();
  int diam = 0;
  const int samples = std::min(n, 16);
  std::vector<int> dist(boost::num_vertices(m.g));
  for (int i = 0; i < samples && n > 1; ++i) {
    const auto src = static_cast<VertexId>(samples == 1 ? 0 : static_cast<long long>(i) * (n - 1) / (samples - 1));
    std::fill(dist.begin(), dist.end(), 0);
    boost::breadth_first_search(
        m.g, src, boost::visitor(boost::make_bfs_visitor(boost::record_distances(dist.data(), boost::on_tree_edge()))));
    for (int r = 0; r < n; ++r) diam = std::max(diam, dist[r]);
  }
  m.diameter = diam;
  return diam;
}

}  // namespace trainsim
