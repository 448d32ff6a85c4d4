#pragma once
// Several training jobs sharing one cluster (issue #3 item 3). Input (an optional scenario form,
// read only by `trainsim multijob`):
//   {"name": "...", "cluster": <object or path>,
//    "jobs": [{"name": "a", "workload": <object or path>, "strategy": <object or path>, "gpus": 512}, ...],
//    "placement": "contiguous" | "random" | "spread", "seed": 1}
// Jobs get whole nodes. contiguous: job after job in node order; random: a seeded shuffle of the
// nodes, dealt out job after job; spread: nodes dealt round-robin over the jobs.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/plan/plan.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/simgrid/sim_job.hpp"

namespace trainsim {

struct MultiJobSpec {
  std::string name, origin;
  ClusterSpec cluster;         ///< the whole shared cluster
  std::vector<Scenario> jobs;  ///< each on a cluster of its own GPU count
  std::string placement = "contiguous";
  std::uint64_t seed = 1;
};

MultiJobSpec parse_multi_job(const nlohmann::json& j, const std::string& origin, const std::string& base_dir);
MultiJobSpec load_multi_job(const std::string& file);

/// Fabric GPU of every rank of every job (node-granular placement).
std::vector<std::vector<int>> place_jobs(const MultiJobSpec& spec);

struct MultiJobRow {
  std::string name;
  int gpus = 0;
  double alone_s = 0, together_s = 0;
  double slowdown() const { return alone_s > 0 ? together_s / alone_s : 0.0; }
};

/// Simulates each job alone on its placement, then all together (each in a child process).
std::vector<MultiJobRow> run_multi_job(const MultiJobSpec& spec, const SimOptions& opt = {});

}  // namespace trainsim
