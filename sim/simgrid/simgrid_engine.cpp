#include "sim/simgrid/simgrid_engine.hpp"

#include <simgrid/s4u.hpp>

#include <algorithm>
#include <exception>

#include "sim/metrics/energy_cost.hpp"
#include "sim/scenario/scenario_profile.hpp"
#include "sim/simgrid/flow_scheduler.hpp"
#include "sim/simgrid/fork_runner.hpp"
#include "sim/simgrid/result_codec.hpp"

namespace trainsim {

SimResult simulate_here(const Fabric& fabric, const std::vector<SimJob>& jobs, const SimOptions& opt) {
  auto engine = make_sg_engine();
  FlowScheduler sched(fabric, jobs, opt);
  LinkFolding folding(fabric, sched.fold(), opt.fluid_ecmp || sched.fold() > 1);
  const auto gpus = sched.rep_gpus();
  SgPlatform platform(fabric, folding, gpus, sched.gpu_pairs(), sched.storage(), sched.storage_pairs());
  std::exception_ptr err;
  simgrid::s4u::Actor::create("driver", platform.host(gpus.at(0)), [&]() {
    try {
      sched.run(platform);
    } catch (...) {
      err = std::current_exception();
    }
  });
  engine->run();
  if (err) std::rethrow_exception(err);
  return sched.take_result(folding, platform);
}

SimResult simulate(const Fabric& fabric, const std::vector<SimJob>& jobs, const SimOptions& opt) {
  return decode_result(run_in_child([&]() { return encode_result(simulate_here(fabric, jobs, opt)); }));
}

SimOptions& default_sim_options() {
  static SimOptions o;
  return o;
}

StorageLoad storage_load(const Scenario& sc, const Plan& plan) {
  StorageLoad s;
  const nlohmann::json& cj = sc.cluster_json;
  if (!cj.is_object() || !cj.contains("storage")) return s;  // only an explicit storage section
  const int gpn = std::max(1, sc.cluster.gpus_per_node);
  const int nodes = std::max(1, (plan.world() + gpn - 1) / gpn);
  const StorageSpec spec = storage_spec_for(sc, nodes);
  if (!spec.on_fabric || spec.source != DataSource::ParallelFs) return s;
  s.servers = spec.pfs.servers;
  s.read_bw = spec.pfs.read_bw_per_server;
  s.write_bw = spec.pfs.write_bw_per_server;
  s.load_bytes = data_bytes_per_iteration(plan.model, plan.strategy);
  if (sc.options.checkpoint_in_iteration) s.checkpoint_bytes = checkpoint_state_bytes(plan.model);
  return s;
}

Trace simgrid_execute(const Scenario& sc, const Plan& plan, const std::vector<ExecutionObserver*>& observers) {
  SimJob job;
  job.name = sc.name;
  job.plan = &plan;
  job.cluster = sc.cluster;
  job.profile = load_profile_for(sc);
  job.storage = storage_load(sc, plan);
  if (sc.cluster.used_per_node() != sc.cluster.gpus_per_node)
    for (int r = 0; r < plan.world(); ++r) job.gpu_of_rank.push_back(sc.cluster.gpu_of_rank(r));
  SimOptions opt = default_sim_options();
  std::vector<LinkStatsObserver*> stats_obs;
  for (auto* o : observers)
    if (auto* s = dynamic_cast<LinkStatsObserver*>(o)) stats_obs.push_back(s);
  opt.link_stats = opt.link_stats && !stats_obs.empty();
  const Fabric fabric(sc.cluster);
  SimResult r = simulate(fabric, {job}, opt);
  Trace t = std::move(r.traces.at(0));
  if (r.storage.simulated) {  // the same iteration without storage flows, for the slowdown
    SimJob bare = job;
    bare.storage = {};
    SimOptions o = opt;
    o.link_stats = false;
    r.storage.iteration_time_without_storage = simulate(fabric, {bare}, o).traces.at(0).iteration_time;
    t.storage = r.storage;
    r.links.storage = r.storage;
  }
  for (auto* o : observers) {
    for (const auto& e : t.events) o->on_op_finished(e);
    for (const auto& c : r.links.classes) o->on_link_bytes(c.cls, c.bytes);
  }
  for (auto* s : stats_obs) s->on_link_stats(r.links);
  return t;
}

}  // namespace trainsim
