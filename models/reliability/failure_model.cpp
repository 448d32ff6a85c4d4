#include "models/reliability/failure_model.hpp"

#include <limits>

#include "models/util/errors.hpp"

namespace trainsim {

namespace {
// Derivation from Dubey et al., "The Llama 3 Herd of Models" (Meta, 2024), Sec. 3.3.4: in a
// 54-day snapshot of pre-training on 16,384 H100 GPUs (2,048 nodes of 8, one 400 Gb/s NIC per
// GPU) there were 419 unexpected interruptions (~78 % confirmed or suspected hardware). Table 5
// attributes 58.7 % to GPU issues (faulty GPU, HBM3, SRAM, GPU system processor, thermal...),
// 8.4 % to network switches and cables and 1.7 % to NICs; we charge the rest (host hardware,
// software bugs, maintenance, ~31 %) to the nodes.
//   GPU:  0.587 x 419 = 246 over 16,384 x 1,296 h = 21.2 M GPU-h  -> 1.16e-5 per GPU-hour
//   link: 0.101 x 419 =  42 over 16,384 links x 1,296 h          -> 1.98e-6 per link-hour
//   node: 419 - 246 - 42 = 131 over 2,048 x 1,296 h = 2.65 M node-h -> 4.94e-5 per node-hour
// Together they reproduce the paper's job MTBF of 1,296 h / 419 = 3.1 h at that scale.
// Cross-check: the OPT-175B logbook (Zhang et al. 2022, 992 A100 GPUs, ~2 months) reports
// 35+ manual restarts and 100+ hosts cycled out, i.e. a far higher per-node rate on an early
// cloud A100 fleet; set the rates explicitly for such systems.
constexpr double kHours = 54.0 * 24.0;
constexpr double kInterruptions = 419.0;
constexpr double kGpuEvents = 246.0;  // round(0.587 x 419)
constexpr double kLinkEvents = 42.0;  // round((0.084 + 0.017) x 419)
constexpr double kNodeEvents = kInterruptions - kGpuEvents - kLinkEvents;
constexpr double kGpus = 16384.0, kNodes = 2048.0, kLinks = 16384.0;
// Restart: 10 min. Assumed (detection by watchdog, rescheduling on spares, NCCL init and
// checkpoint reload); large runs report minutes to tens of minutes (Llama 3 Sec. 3.3.4 notes
// most interruptions were handled automatically).
constexpr double kRestartS = 600.0;
}  // namespace

FailureRates default_failure_rates() {
  FailureRates f;
  f.per_gpu_hour = kGpuEvents / (kGpus * kHours);
  f.per_node_hour = kNodeEvents / (kNodes * kHours);
  f.per_link_hour = kLinkEvents / (kLinks * kHours);
  f.restart_s = kRestartS;
  return f;
}

FailureRates parse_reliability(const JsonReader& r) {
  r.reject_unknown({"gpu_failures_per_hour", "node_failures_per_hour", "link_failures_per_hour", "restart_s",
                    "checkpoint_interval_s"});
  FailureRates f = default_failure_rates();
  f.per_gpu_hour = r.opt_number("gpu_failures_per_hour", 0, 1).value_or(f.per_gpu_hour);
  f.per_node_hour = r.opt_number("node_failures_per_hour", 0, 1).value_or(f.per_node_hour);
  f.per_link_hour = r.opt_number("link_failures_per_hour", 0, 1).value_or(f.per_link_hour);
  f.restart_s = r.opt_number("restart_s", 0, 1e6).value_or(f.restart_s);
  f.checkpoint_interval_s = r.opt_number("checkpoint_interval_s", 1, 1e8).value_or(0);
  return f;
}

double job_failure_rate_per_s(const FailureRates& f, int gpus, int nodes, int links) {
  if (gpus < 0 || nodes < 0 || links < 0) throw InternalError("job_failure_rate_per_s: negative count");
  return (f.per_gpu_hour * gpus + f.per_node_hour * nodes + f.per_link_hour * links) / 3600.0;
}

double job_mtbf_s(const FailureRates& f, int gpus, int nodes, int links) {
  double rate = job_failure_rate_per_s(f, gpus, nodes, links);
  return rate > 0 ? 1.0 / rate : std::numeric_limits<double>::infinity();
}

}  // namespace trainsim
