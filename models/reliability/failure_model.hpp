#pragma once
// Failure rates of a training job's parts and the job's mean time between failures. A
// synchronous training job stops when any GPU, host or link fails, so with independent
// exponential failures the job rate is the sum of the part rates: MTBF = 1 / sum(rates).
#include "models/util/json_reader.hpp"

namespace trainsim {

struct FailureRates {
  double per_gpu_hour = 0;           ///< interruptions caused by one GPU, per GPU-hour
  double per_node_hour = 0;          ///< by one host (CPU, DRAM, PSU, SSD...) and software, per node-hour
  double per_link_hour = 0;          ///< by one NIC-to-switch link (NIC, cable, switch), per link-hour
  double restart_s = 0;              ///< detect, reschedule, re-initialise and reload after a failure
  double checkpoint_interval_s = 0;  ///< 0 = use Daly's optimum
};

/// Defaults derived from the Llama 3 paper (see failure_model.cpp for the derivation).
FailureRates default_failure_rates();

/// Reads the cluster's "reliability" object: gpu_failures_per_hour, node_failures_per_hour,
/// link_failures_per_hour, restart_s, checkpoint_interval_s (all optional).
FailureRates parse_reliability(const JsonReader& r);

/// Job failure rate (1/s) for `gpus` GPUs, `nodes` hosts and `links` NIC links.
double job_failure_rate_per_s(const FailureRates& f, int gpus, int nodes, int links);
/// 1 / job_failure_rate_per_s (s); +infinity when every rate is 0.
double job_mtbf_s(const FailureRates& f, int gpus, int nodes, int links);

}  // namespace trainsim
