#include "sim/simgrid/flow_primitives.hpp"

#include <simgrid/s4u.hpp>

#include <algorithm>
#include <cmath>

#include "sim/simgrid/sg_platform.hpp"

namespace trainsim {

namespace sg4 = simgrid::s4u;

namespace {
std::vector<int> gpus_of(const std::vector<std::pair<int, int>>& pairs) {
  std::vector<int> g;
  for (const auto& [a, b] : pairs) {
    g.push_back(a);
    g.push_back(b);
  }
  std::sort(g.begin(), g.end());
  g.erase(std::unique(g.begin(), g.end()), g.end());
  return g;
}
std::uint64_t whole(double bytes) { return static_cast<std::uint64_t>(std::llround(bytes)); }
}  // namespace

std::vector<double> simulate_flows_here(const Fabric& f, const std::vector<FlowSpec>& flows) {
  auto engine = make_sg_engine();
  LinkFolding folding(f, 1, false);
  std::vector<std::pair<int, int>> pairs;
  for (const auto& fl : flows) pairs.emplace_back(fl.src, fl.dst);
  SgPlatform platform(f, folding, gpus_of(pairs), pairs);
  std::vector<double> done(flows.size(), -1.0);
  sg4::Actor::create("driver", platform.host(flows.at(0).src), [&]() {
    std::vector<sg4::CommPtr> comms;
    std::vector<int> idx;
    for (size_t i = 0; i < flows.size(); ++i) {
      comms.push_back(
          sg4::Comm::sendto_async(platform.host(flows[i].src), platform.host(flows[i].dst), whole(flows[i].bytes)));
      idx.push_back(static_cast<int>(i));
    }
    while (!comms.empty()) {
      const auto k = sg4::Comm::wait_any(comms);
      done[idx[k]] = sg4::Engine::get_clock();
      comms.erase(comms.begin() + k);
      idx.erase(idx.begin() + k);
    }
  });
  engine->run();
  return done;
}

std::vector<double> ring_allreduce_here(const Fabric& f, const std::vector<std::vector<int>>& groups, double bytes,
                                        bool folded) {
  auto engine = make_sg_engine();
  LinkFolding folding(f, 1, false);
  std::vector<std::pair<int, int>> pairs;
  for (const auto& g : groups)
    for (size_t j = 0; j < g.size(); ++j) pairs.emplace_back(g[j], g[(j + 1) % g.size()]);
  SgPlatform platform(f, folding, gpus_of(pairs), pairs);
  std::vector<double> done(groups.size(), 0.0);
  sg4::Actor::create("driver", platform.host(groups.at(0).at(0)), [&]() {
    const int n = static_cast<int>(groups.size());
    std::vector<int> steps_left(n), flows_left(n, 0);
    std::vector<double> extra(n, 0.0);
    std::vector<sg4::CommPtr> comms;
    std::vector<int> owner;
    auto launch = [&](int gi, double b) {
      const auto& g = groups[gi];
      for (size_t j = 0; j < g.size(); ++j) {
        comms.push_back(sg4::Comm::sendto_async(platform.host(g[j]), platform.host(g[(j + 1) % g.size()]), whole(b)));
        owner.push_back(gi);
        ++flows_left[gi];
      }
    };
    for (int gi = 0; gi < n; ++gi) {
      const double G = static_cast<double>(groups[gi].size());
      if (folded) {
        steps_left[gi] = 1;
        double lat = 0;
        for (size_t j = 0; j < groups[gi].size(); ++j)
          lat = std::max(
              lat, platform.route(platform.route_id(groups[gi][j], groups[gi][(j + 1) % groups[gi].size()])).latency);
        extra[gi] = (2 * (G - 1) - 1) * lat;
        launch(gi, 2 * (G - 1) / G * bytes);
      } else {
        steps_left[gi] = static_cast<int>(2 * (G - 1));
        launch(gi, bytes / G);
      }
    }
    while (!comms.empty()) {
      const auto k = sg4::Comm::wait_any(comms);
      const int gi = owner[k];
      comms.erase(comms.begin() + k);
      owner.erase(owner.begin() + k);
      if (--flows_left[gi] > 0) continue;
      if (--steps_left[gi] > 0) {
        launch(gi, bytes / static_cast<double>(groups[gi].size()));
      } else {
        done[gi] = sg4::Engine::get_clock() + extra[gi];
      }
    }
  });
  engine->run();
  return done;
}

}  // namespace trainsim
