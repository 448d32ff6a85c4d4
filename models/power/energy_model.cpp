#include "models/power/energy_model.hpp"

#include "models/util/errors.hpp"

namespace trainsim {

EnergyBreakdown iteration_energy(const PowerSpec& p, const ActivityBreakdown& a, const ClusterCounts& c) {
  if (a.compute_s < 0 || a.memory_s < 0 || a.comm_s < 0 || a.idle_s < 0)
    throw InternalError("iteration_energy: negative activity duration");
  if (c.gpus < 0 || c.idle_gpus < 0 || c.nodes < 0 || c.nics < 0 || c.switches < 0 || c.ports_per_switch < 0 ||
      c.storage_servers < 0)
    throw InternalError("iteration_energy: negative component count");
  EnergyBreakdown e;
  const double t = a.total_s();
  e.iteration_s = t;
  const double per_gpu =
      p.gpu.compute_w * a.compute_s + p.gpu.memory_w * a.memory_s + p.gpu.comm_w * a.comm_s + p.gpu.idle_w * a.idle_s;
  e.gpu_j = per_gpu * c.gpus + p.gpu.idle_w * t * c.idle_gpus;
  const double busy = t > 0 ? (t - a.idle_s) / t : 0.0;
  const double host_w = p.host.idle_w + (p.host.active_w - p.host.idle_w) * busy;
  e.host_j = host_w * c.nodes * t;
  // NICs and switch ports draw nearly constant power whether or not they carry traffic
  // (SerDes and optics stay lit), so they are charged for the whole iteration.
  e.network_j = (p.nic_w * c.nics + p.switch_port_w * c.ports_per_switch * c.switches) * t;
  e.storage_j = p.storage_server_w * c.storage_servers * t;
  e.facility_j = (p.pue - 1.0) * e.it_j();
  e.average_power_w = t > 0 ? e.total_j() / t : 0.0;
  return e;
}

double joules_to_kwh(double j) { return j / 3.6e6; }

double run_energy_kwh(const EnergyBreakdown& per_iteration, double iterations) {
  return joules_to_kwh(per_iteration.total_j() * iterations);
}

double co2_kg(double kwh, double g_per_kwh) { return kwh * g_per_kwh / 1000.0; }

}  // namespace trainsim
