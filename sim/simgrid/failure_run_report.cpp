#include "sim/simgrid/failure_run_report.hpp"

#include <fmt/format.h>

#include <cmath>

#include "models/util/human_units.hpp"

namespace trainsim {

namespace {
// JSON has no infinity: an infinite MTBF (every rate 0) is written as null, as the reliability report does.
nlohmann::json num(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }
}  // namespace

nlohmann::json failure_run_json(const FailureRun& f) {
  const auto& s = f.setup;
  const auto& sp = s.spec;
  const auto& r = f.run;
  const auto& c = f.closed_form;
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : r.first_failures)
    events.push_back({{"time_s", e.event.time_s},
                      {"kind", to_string(e.event.kind)},
                      {"index", e.event.index},
                      {"phase", e.phase},
                      {"lost_s", e.lost_s},
                      {"resume_iteration", e.resume_iteration}});
  return {{"seed", f.seed},
          {"iterations", r.iterations},
          {"iterations_source", s.iterations_source},
          {"iteration_time_s", sp.iteration_s},
          {"checkpoint_interval_iterations", sp.checkpoint_every},
          {"checkpoint_interval_s", static_cast<double>(sp.checkpoint_every) * sp.iteration_s},
          {"requested_interval_s", s.requested_interval_s},
          {"interval_source", s.interval_source},
          {"checkpoint_write_s", sp.checkpoint_s},
          {"checkpoint_source", s.checkpoint_source},
          {"restore_s", sp.restore_s},
          {"restart_overhead_s", sp.restart_overhead_s},
          {"job_mtbf_s", num(s.job_mtbf_s)},
          {"failures", r.failures},
          {"by_kind", {{"gpu", r.by_kind[0]}, {"node", r.by_kind[1]}, {"link", r.by_kind[2]}}},
          {"failures_during_restart", r.failures_during_restart},
          {"checkpoints", r.checkpoints},
          {"failure_free_s", r.useful_s},
          {"checkpoint_s", r.checkpoint_s},
          {"lost_work_s", r.lost_work_s},
          {"restart_s", r.restart_s},
          {"wall_clock_s", r.wall_clock_s},
          {"wall_clock_days", r.wall_clock_s / 86400.0},
          {"goodput", r.wall_clock_s > 0 ? r.useful_s / r.wall_clock_s : 1.0},
          {"closed_form_wall_clock_s", c.wall_clock_s},
          {"closed_form_goodput", c.goodput},
          {"closed_form_failures", c.expected_failures},
          {"first_failures", events},
          {"simulated_activities", r.sleeps}};
}

void print_failure_run_text(const FailureRun& f, std::ostream& out) {
  const auto& s = f.setup;
  const auto& sp = s.spec;
  const auto& r = f.run;
  const auto& c = f.closed_form;
  out << fmt::format("\n  failure injection (seed {}): {} iterations of {} replayed in SimGrid, job MTBF {}\n", f.seed,
                     r.iterations, human_seconds(sp.iteration_s),
                     std::isfinite(s.job_mtbf_s) ? human_seconds(s.job_mtbf_s) : std::string("infinite"));
  out << fmt::format("    checkpoint every {} iterations ({}, {}), write {} ({}); restart {} + restore {}\n",
                     sp.checkpoint_every, human_seconds(static_cast<double>(sp.checkpoint_every) * sp.iteration_s),
                     s.interval_source, human_seconds(sp.checkpoint_s), s.checkpoint_source,
                     human_seconds(sp.restart_overhead_s), human_seconds(sp.restore_s));
  out << fmt::format("    {} failures (gpu {}, node {}, link {}; {} during a restart), {} checkpoints written\n",
                     r.failures, r.by_kind[0], r.by_kind[1], r.by_kind[2], r.failures_during_restart, r.checkpoints);
  out << fmt::format("    wall clock {} = failure-free {} + checkpoints {} + lost work {} + restarts {}\n",
                     human_seconds(r.wall_clock_s), human_seconds(r.useful_s), human_seconds(r.checkpoint_s),
                     human_seconds(r.lost_work_s), human_seconds(r.restart_s));
  out << fmt::format("    goodput {:.2f}%; closed form (Daly eq. 20, same timeline): {:.2f}%, {}, {:.1f} failures\n",
                     100 * (r.wall_clock_s > 0 ? r.useful_s / r.wall_clock_s : 1.0), 100 * c.goodput,
                     human_seconds(c.wall_clock_s), c.expected_failures);
  if (!r.first_failures.empty()) out << fmt::format("    first {} failures:\n", r.first_failures.size());
  for (const auto& e : r.first_failures)
    out << fmt::format("      at {}: {} {} during {}, lost {}, resumed from iteration {}\n",
                       human_seconds(e.event.time_s), to_string(e.event.kind), e.event.index, e.phase,
                       human_seconds(e.lost_s), e.resume_iteration);
}

}  // namespace trainsim
