#pragma once
// Checkpoint interval, goodput and time-to-train under exponential failures.
//  - Young (1974), "A first order approximation to the optimum checkpoint interval", CACM 17(9):
//      tau = sqrt(2 delta M)
//  - Daly (2006), "A higher order estimate of the optimum checkpoint interval for restart dumps",
//    FGCS 22(3), eq. (37):
//      tau = sqrt(2 delta M) [1 + (1/3) sqrt(delta/(2M)) + (1/9) delta/(2M)] - delta  for delta < 2M
//      tau = M                                                                      otherwise
//    and eq. (20), the expected wall time of a job of ideal solve time T_s:
//      T_w = M e^{R/M} (e^{(tau+delta)/M} - 1) T_s / tau
// delta: checkpoint cost (blocking s), M: job MTBF (s), R: restart cost (s), tau: compute between
// checkpoints (s).
namespace trainsim {

double young_interval_s(double delta_s, double mtbf_s);
double daly_interval_s(double delta_s, double mtbf_s);

/// First-order useful fraction of wall time: tau/(tau+delta) x (1 - (R + (tau+delta)/2) / M),
/// i.e. checkpoint overhead, then per failure (rate 1/M) half a segment of lost work plus the
/// restart. Clamped at 0.
double goodput_first_order(double interval_s, double checkpoint_s, double restart_s, double mtbf_s);

/// Daly's expected wall time (s) for `ideal_s` of failure-free work.
double expected_wall_time_s(double ideal_s, double interval_s, double checkpoint_s, double restart_s, double mtbf_s);

struct TimeToTrain {
  double interval_s = 0;         ///< compute between checkpoints used
  double wall_s = 0;             ///< expected wall-clock time including checkpoints and failures
  double goodput = 0;            ///< ideal_s / wall_s
  double expected_failures = 0;  ///< wall_s / M
};

/// Time to train with the given interval, or Daly's optimum when interval_s <= 0.
TimeToTrain time_to_train(double ideal_s, double checkpoint_s, double restart_s, double mtbf_s, double interval_s = 0);

}  // namespace trainsim
