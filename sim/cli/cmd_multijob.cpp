// trainsim multijob FILE.json [--format text|json]: several jobs on one cluster (sim/simgrid/multi_job.hpp),
// each job's iteration time alone and together on the SimGrid engine, and the slowdown.
#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "sim/cli/command_registry.hpp"
#ifdef TRAINSIM_HAVE_SIMGRID
#include "sim/simgrid/multi_job.hpp"
#include "sim/simgrid/simgrid_engine.hpp"
#endif
#include "models/util/errors.hpp"

namespace trainsim::cli {
namespace {

struct MultiJobArgs {
  std::string file;
  std::string format = "text";
};

Action setup(CLI::App& app) {
  auto a = std::make_shared<MultiJobArgs>();
  app.add_option("file", a->file, "multi-job scenario JSON (cluster, jobs, placement, seed)")->required();
  app.add_option("--format", a->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  return [a]() -> int {
#ifdef TRAINSIM_HAVE_SIMGRID
    const auto spec = load_multi_job(a->file);
    const auto rows = run_multi_job(spec, default_sim_options());
    if (a->format == "json") {
      nlohmann::json j = {
          {"name", spec.name}, {"placement", spec.placement}, {"seed", spec.seed}, {"jobs", nlohmann::json::array()}};
      for (const auto& r : rows)
        j["jobs"].push_back({{"name", r.name},
                             {"gpus", r.gpus},
                             {"alone_s", r.alone_s},
                             {"together_s", r.together_s},
                             {"slowdown", r.slowdown()}});
      std::cout << j.dump(2) << "\n";
      return 0;
    }
    std::cout << spec.name << " (placement " << spec.placement << ", seed " << spec.seed << ", engine simgrid)\n";
    char buf[200];
    std::snprintf(buf, sizeof buf, "  %-24s %7s %12s %12s %9s\n", "job", "GPUs", "alone [s]", "together [s]",
                  "slowdown");
    std::cout << buf;
    for (const auto& r : rows) {
      std::snprintf(buf, sizeof buf, "  %-24s %7d %12.4f %12.4f %8.3fx\n", r.name.c_str(), r.gpus, r.alone_s,
                    r.together_s, r.slowdown());
      std::cout << buf;
    }
    return 0;
#else
    throw InputError("multijob", "a build with the SimGrid engine", "a build without SimGrid");
#endif
  };
}

RegisterCommand reg("multijob",
                    "simulate several jobs sharing one cluster (simgrid engine): iteration time alone vs together",
                    setup, 15);

}  // namespace
}  // namespace trainsim::cli
