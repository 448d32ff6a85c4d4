#pragma once
// Link statistics of a SimGrid-engine run and the observer that receives them. Header-only and
// free of SimGrid types, so the command line can ask for a report whether or not the engine is
// built (`trainsim run --engine simgrid --link-report`).
#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "sim/trace/trace.hpp"

namespace trainsim {

/// Traffic on the links of one class (a fabric LinkClass name: "Nic", "LeafSpine", ...).
struct LinkClassStats {
  std::string cls;
  int links = 0;         ///< link directions that carried traffic in the simulation
  double bytes = 0;      ///< bytes over all links of the class, scaled to the whole cluster
  double peak_util = 0;  ///< highest utilisation any link of the class reached (0..1)
  double mean_util = 0;  ///< mean over those links of bytes / (capacity x iteration time)
};

/// One link direction ("leaf3->spine1").
struct LinkLoad {
  std::string name, cls;
  double bytes = 0, peak_util = 0, mean_util = 0;
};

struct LinkStats {
  double horizon = 0;  ///< seconds the utilisations are averaged over
  std::vector<LinkClassStats> classes;
  std::vector<LinkLoad> top;  ///< most loaded link directions (by bytes), at most 10
  StorageTraffic storage;     ///< storage flows on the fabric (when the cluster's storage is on it)
};

/// Observers that want the engine's full link statistics (the engine checks with dynamic_cast).
class LinkStatsObserver : public ExecutionObserver {
 public:
  void on_op_finished(const TraceEvent&) override {}
  virtual void on_link_stats(const LinkStats& s) { stats = s; }
  LinkStats stats;
};

inline void print_link_report(const LinkStats& s, std::ostream& out) {
  char buf[256];
  out << "Link report (simgrid engine; utilisation over " << s.horizon << " s)\n";
  std::snprintf(buf, sizeof buf, "  %-16s %8s %14s %10s %10s\n", "class", "links", "bytes", "peak util", "mean util");
  out << buf;
  for (const auto& c : s.classes) {
    std::snprintf(buf, sizeof buf, "  %-16s %8d %14.4g %9.1f%% %9.1f%%\n", c.cls.c_str(), c.links, c.bytes,
                  100 * c.peak_util, 100 * c.mean_util);
    out << buf;
  }
  out << "  top " << s.top.size() << " links by bytes:\n";
  for (const auto& l : s.top) {
    std::snprintf(buf, sizeof buf, "    %-28s %-12s %14.4g B  peak %5.1f%%  mean %5.1f%%\n", l.name.c_str(),
                  l.cls.c_str(), l.bytes, 100 * l.peak_util, 100 * l.mean_util);
    out << buf;
  }
  if (s.storage.simulated) {
    const auto& st = s.storage;
    std::snprintf(buf, sizeof buf, "  storage on the fabric (%d servers): data loading %.4g B in %.6g s", st.servers,
                  st.load_bytes, st.load_s);
    out << buf;
    if (st.checkpoint_bytes > 0) {
      std::snprintf(buf, sizeof buf, "; checkpoint %.4g B in %.6g s", st.checkpoint_bytes, st.checkpoint_s);
      out << buf;
    }
    std::snprintf(buf, sizeof buf, "\n  iteration %.9g s with storage traffic, %.9g s without (+%.6g s)\n", s.horizon,
                  st.iteration_time_without_storage, s.horizon - st.iteration_time_without_storage);
    out << buf;
  }
}

}  // namespace trainsim
