#include "sim/simgrid/training_run.hpp"

#include <simgrid/s4u.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>

#include "models/util/errors.hpp"
#include "sim/simgrid/fork_runner.hpp"
#include "sim/simgrid/sg_platform.hpp"

namespace trainsim {

namespace sg4 = simgrid::s4u;

namespace {

// The same bound as exponential_arrivals (10^7 expected failures): beyond it a replay would run for
// minutes and the job makes essentially no progress anyway.
constexpr std::int64_t kMaxSteps = 10'000'000;

void check_spec(const TrainingRunSpec& s) {
  auto ok = [](double x) { return std::isfinite(x) && x >= 0; };
  if (s.iterations < 1 || !(s.iteration_s > 0) || !std::isfinite(s.iteration_s) || s.checkpoint_every < 1 ||
      !ok(s.checkpoint_s) || !ok(s.restore_s) || !ok(s.restart_overhead_s))
    throw InternalError("training run replay: invalid spec (iterations, iteration time, interval or costs)");
}

/// The body of one run's actor: a loop over segments and restarts, one sleep each, each sleep cut
/// short by the next failure when it falls inside (a failure exactly at the end does not cut it).
void replay(const TrainingRunSpec& s, const FailureSource& next_failure, TrainingRunResult& r) {
  const double t0 = sg4::Engine::get_clock();
  FailureEvent next = next_failure();
  std::int64_t done = 0;  // iterations saved by the last completed checkpoint
  bool restarting = false;
  for (std::int64_t steps = 0; done < s.iterations; ++steps) {
    if (steps >= kMaxSteps)
      throw InputError(
          "failure injection: more than 1e7 segments and failures before the run completes; "
          "the cluster's reliability rates are too high for this checkpoint interval");
    const double start = sg4::Engine::get_clock();
    const std::int64_t k = std::min(s.checkpoint_every, s.iterations - done);
    const double compute = static_cast<double>(k) * s.iteration_s;
    const double duration = restarting ? s.restart_overhead_s + s.restore_s : compute + s.checkpoint_s;
    if (next.time_s < start + duration) {  // cut by a failure
      const double elapsed = std::max(0.0, next.time_s - start);
      if (elapsed > 0) {
        sg4::this_actor::sleep_for(elapsed);
        ++r.sleeps;
      }
      FailureRecord rec;
      rec.event = next;
      rec.lost_s = elapsed;
      rec.resume_iteration = done;
      if (restarting) {
        rec.phase = "restart";
        r.restart_s += elapsed;
        ++r.failures_during_restart;
      } else {
        rec.phase = elapsed < compute ? "compute" : "checkpoint";
        r.lost_work_s += elapsed;
      }
      ++r.failures;
      ++r.by_kind[static_cast<int>(next.kind)];
      if (r.first_failures.size() < s.keep_failures) r.first_failures.push_back(rec);
      restarting = true;
      next = next_failure();
      continue;
    }
    if (duration > 0) {
      sg4::this_actor::sleep_for(duration);
      ++r.sleeps;
    }
    if (restarting) {
      r.restart_s += duration;
      restarting = false;
    } else {
      done += k;
      ++r.checkpoints;
      r.checkpoint_s += s.checkpoint_s;
    }
  }
  r.iterations = done;
  r.useful_s = static_cast<double>(done) * s.iteration_s;
  r.wall_clock_s = sg4::Engine::get_clock() - t0;
}

nlohmann::json encode(const TrainingRunResult& r) {
  nlohmann::json f = nlohmann::json::array();
  for (const auto& x : r.first_failures)
    f.push_back({x.event.time_s, static_cast<int>(x.event.kind), x.event.index, x.phase, x.lost_s, x.resume_iteration});
  return {r.wall_clock_s,
          r.useful_s,
          r.checkpoint_s,
          r.lost_work_s,
          r.restart_s,
          r.iterations,
          r.checkpoints,
          r.failures,
          r.failures_during_restart,
          r.by_kind[0],
          r.by_kind[1],
          r.by_kind[2],
          r.sleeps,
          f};
}

TrainingRunResult decode(const nlohmann::json& j) {
  TrainingRunResult r;
  r.wall_clock_s = j.at(0);
  r.useful_s = j.at(1);
  r.checkpoint_s = j.at(2);
  r.lost_work_s = j.at(3);
  r.restart_s = j.at(4);
  r.iterations = j.at(5);
  r.checkpoints = j.at(6);
  r.failures = j.at(7);
  r.failures_during_restart = j.at(8);
  for (int k = 0; k < 3; ++k) r.by_kind[k] = j.at(9 + k);
  r.sleeps = j.at(12);
  for (const auto& x : j.at(13)) {
    FailureRecord rec;
    rec.event.time_s = x.at(0);
    rec.event.kind = static_cast<FailureKind>(x.at(1).get<int>());
    rec.event.index = x.at(2);
    rec.phase = x.at(3);
    rec.lost_s = x.at(4);
    rec.resume_iteration = x.at(5);
    r.first_failures.push_back(rec);
  }
  return r;
}

}  // namespace

std::vector<TrainingRunResult> replay_training_runs_here(const TrainingRunSpec& spec,
                                                         const std::vector<FailureSource>& sources) {
  check_spec(spec);
  auto engine = make_sg_engine();
  // The timeline needs no network: one host carries every run's actor (sleeps use no resource).
  auto* zone = sg4::create_full_zone("training-run");
  sg4::Host* host = zone->create_host("trainer", 1e9)->seal();
  zone->seal();
  std::vector<TrainingRunResult> out(sources.size());
  std::exception_ptr err;
  for (std::size_t i = 0; i < sources.size(); ++i)
    sg4::Actor::create("run" + std::to_string(i), host, [&, i]() {
      try {
        replay(spec, sources[i], out[i]);
      } catch (...) {
        if (!err) err = std::current_exception();
      }
    });
  engine->run();
  if (err) std::rethrow_exception(err);
  return out;
}

std::vector<TrainingRunResult> replay_training_runs(const TrainingRunSpec& spec,
                                                    const std::vector<FailureSource>& sources) {
  check_spec(spec);  // in the parent: a bad spec is a bug to report with its own type
  const std::string body = run_in_child([&]() {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : replay_training_runs_here(spec, sources)) j.push_back(encode(r));
    return j.dump();
  });
  std::vector<TrainingRunResult> out;
  for (const auto& x : nlohmann::json::parse(body)) out.push_back(decode(x));
  return out;
}

TrainingRunResult replay_training_run(const TrainingRunSpec& spec, const FailureRates& rates, int gpus, int nodes,
                                      int links, std::uint64_t seed) {
  auto stream = std::make_shared<FailureStream>(rates, gpus, nodes, links, seed);
  return replay_training_runs(spec, {[stream]() { return stream->next(); }}).at(0);
}

}  // namespace trainsim
