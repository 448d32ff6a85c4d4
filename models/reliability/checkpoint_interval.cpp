#include "models/reliability/checkpoint_interval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/util/errors.hpp"

namespace trainsim {

namespace {
void check(double delta, double m) {
  if (!(delta >= 0) || !(m > 0)) throw InternalError("checkpoint interval: need delta >= 0 and MTBF > 0");
}
}  // namespace

double young_interval_s(double delta_s, double mtbf_s) {
  check(delta_s, mtbf_s);
  return std::sqrt(2.0 * delta_s * mtbf_s);
}

double daly_interval_s(double delta_s, double mtbf_s) {
  check(delta_s, mtbf_s);
  if (delta_s >= 2.0 * mtbf_s) return mtbf_s;
  const double x = delta_s / (2.0 * mtbf_s);
  return std::sqrt(2.0 * delta_s * mtbf_s) * (1.0 + std::sqrt(x) / 3.0 + x / 9.0) - delta_s;
}

double goodput_first_order(double interval_s, double checkpoint_s, double restart_s, double mtbf_s) {
  if (!(interval_s > 0) || checkpoint_s < 0 || restart_s < 0 || !(mtbf_s > 0))
    throw InternalError("goodput_first_order: invalid arguments");
  if (std::isinf(mtbf_s)) return interval_s / (interval_s + checkpoint_s);
  const double seg = interval_s + checkpoint_s;
  return std::max(0.0, interval_s / seg * (1.0 - (restart_s + seg / 2.0) / mtbf_s));
}

double expected_wall_time_s(double ideal_s, double interval_s, double checkpoint_s, double restart_s, double mtbf_s) {
  if (ideal_s < 0 || !(interval_s > 0) || checkpoint_s < 0 || restart_s < 0 || !(mtbf_s > 0))
    throw InternalError("expected_wall_time_s: invalid arguments");
  const double segments = ideal_s / interval_s;
  if (std::isinf(mtbf_s)) return segments * (interval_s + checkpoint_s);
  // expm1 keeps precision when (tau + delta) << M.
  return mtbf_s * std::exp(restart_s / mtbf_s) * std::expm1((interval_s + checkpoint_s) / mtbf_s) * segments;
}

TimeToTrain time_to_train(double ideal_s, double checkpoint_s, double restart_s, double mtbf_s, double interval_s) {
  TimeToTrain t;
  if (interval_s > 0)
    t.interval_s = interval_s;
  else if (std::isinf(mtbf_s))
    t.interval_s = std::max(ideal_s, 1.0);  // never fails: one segment, no intermediate checkpoint
  else
    t.interval_s = daly_interval_s(checkpoint_s, mtbf_s);
  if (!(t.interval_s > 0)) t.interval_s = young_interval_s(std::max(checkpoint_s, 1e-9), mtbf_s);
  t.wall_s = expected_wall_time_s(ideal_s, t.interval_s, checkpoint_s, restart_s, mtbf_s);
  t.goodput = t.wall_s > 0 ? ideal_s / t.wall_s : 1.0;
  t.expected_failures = std::isinf(mtbf_s) ? 0.0 : t.wall_s / mtbf_s;
  return t;
}

}  // namespace trainsim
