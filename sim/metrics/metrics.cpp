#include "sim/metrics/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "sim/metrics/timeline.hpp"
#include "sim/plan/pipeline_schedule.hpp"
#include "sim/plan/planner.hpp"
#include "sim/scenario/scenario_profile.hpp"

namespace trainsim {

std::string describe_strategy(const Strategy& s) {
  std::ostringstream o;
  o << "tp" << s.tp << " pp" << s.pp << " dp" << s.dp;
  if (s.cp > 1) o << " cp" << s.cp;
  if (s.ep > 1) o << " ep" << s.ep;
  if (s.etp > 0 && s.etp != s.tp) o << " etp" << s.etp;
  if (s.vp > 1) o << " vp" << s.vp;
  o << " mb" << s.micro_batch << " gbs" << s.global_batch << " " << to_string(s.schedule);
  if (s.sequence_parallel) o << " sp";
  if (s.tp_comm_overlap && s.tp > 1) o << " tp-overlap";
  if (s.zero > 0) o << " zero" << s.zero;
  if (s.hybrid_sharding()) o << " shard" << s.zero_shard();
  o << " recompute=" << to_string(s.recompute) << " " << to_string(s.precision) << " attn=" << to_string(s.attention);
  if (!s.fused_elementwise) o << " eager";
  if (s.cp > 1 && s.cp_all_gather) o << " cp=all-gather";
  if (s.moe_dispatcher != MoeDispatcher::AllToAll) o << " dispatcher=" << to_string(s.moe_dispatcher);
  if (s.grad_reduce_dtype) o << " grads=" << to_string(*s.grad_reduce_dtype);
  if (s.zero >= 3 && s.fsdp_param_dtype == Precision::FP32) o << " params=fp32";
  if (s.zero >= 3 && s.zero_runtime != ZeroRuntime::Fsdp) o << " runtime=" << to_string(s.zero_runtime);
  return o.str();
}

namespace {
std::string fmt_in_flight(double n) {
  std::ostringstream o;
  o << (std::fabs(n - std::round(n)) < 1e-9 ? std::round(n) : std::round(n * 100) / 100);
  return o.str();
}
}  // namespace

MemoryReport memory_report(const Scenario& sc, const Plan& plan) {
  return memory_report(sc, plan.model, plan.strategy, plan.params_per_rank_by_stage);
}

MemoryReport memory_report(const Scenario& sc, const TransformerConfig& model, const Strategy& s,
                           const std::vector<double>& params_per_rank_by_stage, bool explain) {
  MemoryReport best;
  best.capacity = sc.cluster.gpu.hbm_bytes;
  double worst = -1;
  const LayerShard sh = layer_shard(s);
  const auto ranges = virtual_stage_layer_ranges(model.layers, s.pp * s.vp);
  for (int stage = 0; stage < s.pp; ++stage) {
    int layers = 0;
    for (int c = 0; c < s.vp; ++c) layers += ranges[c * s.pp + stage].second;
    MemoryInputs in;
    in.params = params_per_rank_by_stage[stage];
    if (model.lora) {  // LoRA: gradients and optimizer state for the adapters alone (PlanUnit::trainable)
      in.trainable = 0;
      for (int c = 0; c < s.vp; ++c) {
        const auto [first, count] = ranges[c * s.pp + stage];
        for (int l = first; l < first + count; ++l) in.trainable += lora_layer_params_per_rank(model, s.tp, l);
      }
    }
    in.dp = s.zero_shard();  // ZeRO/FSDP shards over the (hybrid) sharding group
    // Routed experts: over the expert data-parallel group at ZeRO 1-2 (PlanUnits::expert_groups).
    in.expert_dp = in.dp;
    if (model.moe && s.zero <= 2 && !model.lora) {
      const ParamCount pc = count_parameters(model);
      for (int c = 0; c < s.vp; ++c) {
        const auto [first, count] = ranges[c * s.pp + stage];
        for (int l = first; l < first + count; ++l) in.expert_params += layer_expert_params_rank(model, pc, s, l);
      }
      in.expert_dp = std::max(1, s.edp());
    }
    in.zero = s.zero;
    in.weight_bytes = weight_bytes(s);
    in.grad_bytes = gradient_bytes(s);
    in.optimizer_offload = s.optimizer_offload;
    in.shard = sh;
    in.recompute = s.recompute;
    in.layers = layers;
    in.in_flight = in_flight_micro_batches(s.schedule, stage, s.pp, static_cast<int>(s.micro_batches()), s.vp);
    in.first_stage = stage == 0;
    in.last_stage = stage == s.pp - 1;
    in.overhead_bytes = sc.options.memory_overhead_bytes;
    auto m = memory_per_gpu(model, in);
    if (m.total() > worst) {
      worst = m.total();
      best.parts = m;
      best.stage = stage;
      best.layers = layers;
      best.in_flight = in.in_flight;
    }
  }
  best.fits = worst <= best.capacity;
  best.stages = s.pp;
  if (explain) best.why = memory_peak_why(best, s);
  return best;
}

std::string memory_peak_why(const MemoryReport& best, const Strategy& s) {
  // Why this stage: its layers, the activations its schedule keeps in flight (1F1B: pp - stage
  // micro-batches at most, Narayanan et al. 2021; interleaved: the warm-up of Megatron-LM's
  // schedule, about 1 + 1/vp times that), and the embedding or output layer it carries.
  std::ostringstream why;
  why << "stage " << best.stage << " of " << s.pp << ": " << best.layers << " layers";
  if (s.pp > 1 || s.micro_batches() > 1)
    why << ", activations of " << fmt_in_flight(best.in_flight) << " micro-batch" << (best.in_flight == 1 ? "" : "es")
        << " in flight (" << to_string(s.schedule)
        << (s.schedule == ScheduleKind::OneFOneB && s.pp > 1 ? ": pp - stage" : "") << ")";
  if (s.recompute != Recompute::None) why << " under " << to_string(s.recompute) << " recomputation";
  if (best.stage == 0) why << ", the embedding";
  if (best.stage == s.pp - 1) why << (best.stage == 0 ? " and" : ",") << " the output layer and its logits";
  return why.str();
}

IterationRates iteration_rates(const TransformerConfig& model, const Strategy& s, const GpuSpec& gpu, double T,
                               double recompute_flops, double train_tokens) {
  IterationRates r;
  const double gpus = s.world();
  const double tokens = static_cast<double>(s.global_batch) * model.seq_len;
  r.tokens_per_s = tokens / T;
  r.samples_per_s = s.global_batch / T;
  r.model_flops = model_flops_per_iteration(model, s.global_batch);
  r.hardware_flops = r.model_flops + recompute_flops;
  const double peak = gpu.peak_flops(s.precision);
  r.model_tflops_per_gpu = r.model_flops / T / gpus / 1e12;
  r.hardware_tflops_per_gpu = r.hardware_flops / T / gpus / 1e12;
  r.mfu = r.model_tflops_per_gpu * 1e12 / peak;
  r.hfu = r.hardware_tflops_per_gpu * 1e12 / peak;
  if (train_tokens > 0) {
    r.time_to_train_s = train_tokens / r.tokens_per_s;
    r.gpu_hours = r.time_to_train_s / 3600.0 * gpus;
  }
  return r;
}

Metrics iteration_metrics(const Scenario& sc, const TransformerConfig& model, const Strategy& s, double T,
                          double recompute_flops) {
  Metrics m;
  m.scenario = sc.name;
  m.gpu = sc.cluster.gpu.name;
  m.strategy = describe_strategy(s);
  if (sc.framework) m.framework = sc.framework->label() + ": " + sc.framework_choice;
  m.gpus = s.world();
  m.micro_batches = s.micro_batches();
  m.iteration_time_s = T;
  m.train_tokens = sc.workload.train_tokens;
  const IterationRates r = iteration_rates(model, s, sc.cluster.gpu, T, recompute_flops, m.train_tokens);
  m.tokens_per_s = r.tokens_per_s;
  m.samples_per_s = r.samples_per_s;
  m.model_flops = r.model_flops;
  m.hardware_flops = r.hardware_flops;
  m.model_tflops_per_gpu = r.model_tflops_per_gpu;
  m.hardware_tflops_per_gpu = r.hardware_tflops_per_gpu;
  m.mfu = r.mfu;
  m.hfu = r.hfu;
  m.time_to_train_s = r.time_to_train_s;
  m.gpu_hours = r.gpu_hours;
  return m;
}

std::vector<std::string> plausibility_warnings(const GpuSpec& gpu, Precision p, double mfu, bool calibrated) {
  std::vector<std::string> w;
  if (gpu.measurements_source.empty()) return w;
  const bool fp8 = p == Precision::FP8;
  const double best = fp8 ? gpu.best_published_mfu_fp8 : gpu.best_published_mfu;
  const std::string prec = fp8 ? "fp8" : "16-bit";
  // No {fmt} here: this library is also built on the GPU machine, which lacks it.
  auto pct = [](double x, int digits) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(digits) << 100 * x << "%";
    return o.str();
  };
  const std::string src = " (" + gpu.measurements_source + ")";
  // The fp8 MAMF is not in the catalog: the 16-bit one bounds only 16-bit runs.
  if (!fp8 && gpu.mamf_fraction > 0 && mfu > gpu.mamf_fraction)
    w.push_back("MFU " + pct(mfu, 1) + " is above the largest matrix-product rate measured on " + gpu.name + ", " +
                pct(gpu.mamf_fraction, 1) + " of peak" + src +
                ": no training run can sustain it; check the model's efficiencies");
  else if (best > 0 && mfu > 1.10 * best)
    w.push_back("MFU " + pct(mfu, 1) + " is more than 10% above the best published " + prec + " training run on " +
                gpu.name + ", " + pct(best, 0) + src +
                ": check the strategy and the model's efficiencies, or calibrate with a real run (trainsim calibrate)");
  if (best <= 0 && !calibrated)
    w.push_back("no published " + prec + " training run on " + gpu.name +
                " gives an MFU to check this prediction against; its matrix-product ceiling comes from " +
                gpu.measurements_source + "; calibrate with a real run (trainsim calibrate)");
  return w;
}

Metrics compute_metrics(const Scenario& sc, const Plan& plan, const Trace& trace) {
  const auto& s = plan.strategy;
  double recompute_flops = 0;
  const double ranks_per_stage = static_cast<double>(s.tp) * s.cp * s.dp;
  for (const auto& prog : plan.programs)
    for (const auto& op : prog.ops)
      if (op.kind == OpKind::Compute && op.phase == Phase::Recompute)
        recompute_flops += plan.blocks[op.block].flops() * ranks_per_stage;
  const double T = trace.iteration_time;
  Metrics m = iteration_metrics(sc, plan.model, s, T, recompute_flops);
  // Only a prediction a user reads is checked (not each strategy a search scores).
  m.warnings = plausibility_warnings(sc.cluster.gpu, s.precision, m.mfu, sc.options.profile.has_value());
  m.engine = trace.engine;

  // Breakdown of the busiest stage's representative rank, activity per GPU (sim/metrics/timeline.hpp).
  const ComputeModel cm(sc.cluster.gpu, load_profile_for(sc));
  std::vector<RankSums> ranks;
  for (const auto& t : timelines_from_trace(plan, trace, cm)) ranks.push_back(sum_timeline(t));
  m.breakdown = busiest_breakdown(ranks, T);

  m.memory = memory_report(sc, plan);
  // Storage stall, energy, failures and cost from the cluster's optional sections (issue #5).
  if (T > 0) m.energy_cost = energy_cost_report(sc, s, mean_activity(ranks, T), m, trace.storage);
  return m;
}

}  // namespace trainsim
