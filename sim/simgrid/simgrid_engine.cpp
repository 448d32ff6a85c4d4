#include "sim/simgrid/simgrid_engine.hpp"

#include <simgrid/s4u.hpp>

#include <exception>

#include "sim/analytic/predict.hpp"
#include "sim/simgrid/flow_scheduler.hpp"
#include "sim/simgrid/fork_runner.hpp"
#include "sim/simgrid/result_codec.hpp"

namespace trainsim {

SimResult simulate_here(const Fabric& fabric, const std::vector<SimJob>& jobs, const SimOptions& opt) {
  auto engine = make_sg_engine();
  FlowScheduler sched(fabric, jobs, opt);
  LinkFolding folding(fabric, sched.fold(), opt.fluid_ecmp || sched.fold() > 1);
  const auto gpus = sched.rep_gpus();
  SgPlatform platform(fabric, folding, gpus, sched.gpu_pairs());
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

Trace simgrid_execute(const Scenario& sc, const Plan& plan, const std::vector<ExecutionObserver*>& observers) {
  SimJob job;
  job.name = sc.name;
  job.plan = &plan;
  job.cluster = sc.cluster;
  job.profile = load_profile_for(sc);
  SimOptions opt = default_sim_options();
  std::vector<LinkStatsObserver*> stats_obs;
  for (auto* o : observers)
    if (auto* s = dynamic_cast<LinkStatsObserver*>(o)) stats_obs.push_back(s);
  opt.link_stats = opt.link_stats && !stats_obs.empty();
  const Fabric fabric(sc.cluster);
  SimResult r = simulate(fabric, {job}, opt);
  Trace t = std::move(r.traces.at(0));
  for (auto* o : observers) {
    for (const auto& e : t.events) o->on_op_finished(e);
    for (const auto& c : r.links.classes) o->on_link_bytes(c.cls, c.bytes);
  }
  for (auto* s : stats_obs) s->on_link_stats(r.links);
  return t;
}

}  // namespace trainsim
