// trainsim plan SCENARIO.json [--kernels] [--json]: show the Plan the planner builds — stage
// programs, blocks and (with --kernels) every kernel with its shape, FLOPs, bytes and modelled time.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "sim/cli/command_registry.hpp"
#include "sim/cost/op_costs.hpp"
#include "sim/evaluate/predict.hpp"

namespace trainsim::cli {
namespace {

struct Args {
  std::string scenario;
  bool kernels = false;
};

Action setup(CLI::App& app) {
  auto a = std::make_shared<Args>();
  app.add_option("scenario", a->scenario, "scenario JSON file")->required();
  app.add_flag("--kernels", a->kernels, "list every kernel of every block with its modelled time");
  return [a]() {
    Scenario sc = load_scenario(a->scenario);
    Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.used_per_node());
    ComputeModel cm(sc.cluster.gpu, load_profile_for(sc));
    OpCosts costs(plan, sc.cluster, cm);
    std::cout << fmt::format("plan: {} ranks, {} stage programs, {} blocks\n", plan.world(), plan.programs.size(),
                             plan.blocks.size());
    for (const auto& p : plan.programs) {
      int n[4] = {0, 0, 0, 0};
      for (const auto& op : p.ops) ++n[static_cast<int>(op.kind)];
      std::cout << fmt::format(
          "  stage {:>3}: {} ops ({} compute, {} collective, {} send, {} recv), {:.3g} params/rank\n", p.stage,
          p.ops.size(), n[0], n[1], n[2], n[3], plan.params_per_rank_by_stage[p.stage]);
    }
    for (size_t b = 0; b < plan.blocks.size(); ++b) {
      const auto& blk = plan.blocks[b];
      const auto& c = costs.block(static_cast<int>(b));
      std::cout << fmt::format(
          "  block {:>3} {:<24} {:>3} kernels  compute {:>9.3f} ms  inline comm {:>8.3f} ms  {:.3g} TFLOP\n", b,
          blk.name, blk.kernels.size(), c.compute * 1e3, c.comm * 1e3, blk.flops() / 1e12);
      if (!a->kernels) continue;
      for (const auto& k : blk.kernels) {
        double t = costs.kernel_time(k);
        std::string shape =
            k.kind == KernelKind::Gemm || k.kind == KernelKind::Attention
                ? fmt::format("{}x{}x{}x{}", k.batch, k.m, k.n, k.k)
            : k.kind == KernelKind::Collective
                ? fmt::format("{} {} {:.3g} MB", to_string(k.collective), to_string(k.group), k.coll_bytes / 1e6)
            : k.kind == KernelKind::HostCopy ? fmt::format("{} {:.3g} MB", to_string(k.copy), k.bytes / 1e6)
                                             : fmt::format("{:.3g} MB", k.bytes / 1e6);
        double rate = t > 0 && k.flops > 0 ? k.flops / t / 1e12 : 0;
        std::cout << fmt::format("      {:<28} {:<10} {:<28} {:>9.1f} us {:>7.0f} TF/s\n", k.name, to_string(k.kind),
                                 shape, t * 1e6, rate);
      }
    }
    return 0;
  };
}

RegisterCommand reg("plan", "show the Plan (stage programs, blocks, kernels and their modelled times)", setup, 40);

}  // namespace
}  // namespace trainsim::cli
