#include "hw-backend/exec/compare.hpp"

#include "sim/scenario/scenario_profile.hpp"

#include <algorithm>
#include <cmath>

#include "models/calibration/profile.hpp"
#include "sim/cost/op_costs.hpp"
#include "sim/evaluate/predict.hpp"

namespace trainsim::hw {

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
nlohmann::json row(double predicted, double measured) {
  nlohmann::json j = {{"predicted_s", predicted}, {"measured_s", measured}};
  j["error_pct"] = measured > 0 ? 100.0 * (predicted - measured) / measured : 0.0;
  return j;
}
}  // namespace

Predicted predict_classes(const Scenario& sc) {
  Prediction pr = predict(sc, "analytic");
  Predicted out;
  out.iteration_time = pr.trace.iteration_time;
  const Plan& plan = pr.plan;
  ComputeModel cm(sc.cluster.gpu, load_profile_for(sc));
  OpCosts costs(plan, sc.cluster, cm);
  for (const auto& prog : plan.programs) {
    for (const auto& op : prog.ops) {
      switch (op.kind) {
        case OpKind::Compute:
          for (const auto& k : plan.blocks.at(op.block).kernels) {
            if (k.kind == KernelKind::Collective) {
              out.classes.collective += costs.kernel_collective(k);
              continue;
            }
            // Host-side kernels (optimizer offload: host-link copies, CPU Adam) count as memory-bound,
            // as the devices record them (hw-backend/cpu/cpu_device.cpp, cuda/cuda_device.cpp).
            const double t = costs.kernel_time(k);
            (k.kind == KernelKind::Gemm        ? out.classes.gemm
             : k.kind == KernelKind::Attention ? out.classes.attention
                                               : out.classes.memory) += t;
          }
          break;
        case OpKind::Collective: out.classes.collective += costs.collective(op); break;
        case OpKind::Send: out.classes.p2p += costs.p2p(prog.stage, op.peer_stage, op.bytes); break;
        case OpKind::Recv: break;
      }
    }
  }
  out.classes = out.classes.scaled(1.0 / std::max<size_t>(1, plan.programs.size()));
  return out;
}

Scenario with_profile(Scenario sc, const std::string& path) {
  // The same application `trainsim run` makes of a scenario's options.profile (the measured link
  // replaces the intra-node link; fitted efficiency factors scale the cluster).
  sc.options.profile = path;
  apply_profile_to_cluster(*load_calibration_profile(path), sc.cluster);
  return sc;
}

nlohmann::json compare(const Predicted& p, const MeasuredRun& m) {
  nlohmann::json j;
  j["iteration"] = row(p.iteration_time, median(m.iteration_times));
  j["iteration"]["measured_each_s"] = m.iteration_times;
  ClassTimes med;
  std::vector<double> g, a, mem, c, pp;
  for (const auto& x : m.classes) {
    g.push_back(x.gemm), a.push_back(x.attention), mem.push_back(x.memory), c.push_back(x.collective),
        pp.push_back(x.p2p);
  }
  med = {median(g), median(a), median(mem), median(c), median(pp)};
  j["classes"] = {{"gemm", row(p.classes.gemm, med.gemm)},
                  {"attention", row(p.classes.attention, med.attention)},
                  {"memory", row(p.classes.memory, med.memory)},
                  {"collective", row(p.classes.collective, med.collective)},
                  {"p2p", row(p.classes.p2p, med.p2p)}};
  nlohmann::json per_it = nlohmann::json::array();
  for (size_t i = 0; i < m.iteration_times.size(); ++i)
    per_it.push_back({{"iteration", i},
                      {"measured_s", m.iteration_times[i]},
                      {"error_pct", 100.0 * (p.iteration_time - m.iteration_times[i]) / m.iteration_times[i]},
                      {"classes_measured_s", m.classes[i].to_json()}});
  j["per_iteration"] = per_it;
  return j;
}

}  // namespace trainsim::hw
