#include "sim/scorer/strategy_scorer.hpp"

#include <algorithm>
#include <cmath>

#include "models/workload/optimizer_kernels.hpp"
#include "sim/cost/op_costs.hpp"
#include "sim/plan/pipeline_schedule.hpp"
#include "sim/plan/planner.hpp"
#include "sim/scenario/scenario_profile.hpp"

namespace trainsim {

namespace {

/// A Plan without programs: enough for group shapes, rank placement and the memory report.
Plan plan_shell(const TransformerConfig& model, const Strategy& s, int gpus_per_node) {
  Plan p;
  p.model = model;
  p.strategy = s;
  p.gpus_per_node = gpus_per_node;
  p.params_per_rank_by_stage = params_per_rank_by_stage(model, s);
  for (double v : p.params_per_rank_by_stage) p.params_per_stage_rank_max = std::max(p.params_per_stage_rank_max, v);
  return p;
}

Op collective_op(GroupRole group, CollectiveKind kind, double bytes, Phase phase = Phase::Forward) {
  Op op;
  op.kind = OpKind::Collective;
  op.phase = phase;
  op.group = group;
  op.collective = kind;
  op.bytes = bytes;
  return op;
}

/// One module piece of a DeepSpeed 0.3.x pass: its compute, its gather and (backward) its
/// gradient all-reduce, seconds.
struct DsPiece {
  double compute = 0, gather = 0, reduce = 0;
};

}  // namespace

StrategyScorer::StrategyScorer(const Scenario& base)
    : base_(base), compute_(base.cluster.gpu, load_profile_for(base)) {}

StrategyScorer::PhaseCost StrategyScorer::cost_kernels(const std::vector<Kernel>& ks, const OpCosts& costs,
                                                       const Strategy& s) const {
  PhaseCost c;
  std::vector<double> times;
  times.reserve(ks.size());
  for (const auto& k : ks) {
    if (c.pieces.empty() || k.weights > 0) c.pieces.emplace_back(k.weights, 0.0);
    if (k.kind == KernelKind::Collective) {
      times.push_back(costs.kernel_collective(k));
      continue;
    }
    const double t = costs.kernel_time(k);
    c.pieces.back().second += t;
    times.push_back(t);
    c.compute += t;
    if (k.kind == KernelKind::Gemm || k.kind == KernelKind::Attention) c.compute_bound += t;
    c.flops += k.flops;
  }
  for (double e : exposed_inline_comm(ks, times, costs.inline_overlap())) c.comm += e;
  return c;
}

const StrategyScorer::LayerCost& StrategyScorer::layer_cost(const Strategy& s, const OpCosts& costs, int layer) const {
  const auto& m = base_.workload.model;
  // Kind: 0 dense layer, 1 MoE layer, 2 embedding (layer == kEmbedding), 3 output layer (kHead).
  const int kind = layer == kEmbedding ? 2 : layer == kHead ? 3 : m.is_moe_layer(layer) ? 1 : 0;
  // Everything a layer's kernels and their collective groups depend on.
  const LayerKey key{s.tp,
                     s.cp,
                     s.ep,
                     s.dp,
                     s.micro_batch,
                     s.sequence_parallel ? 1 : 0,
                     static_cast<int>(s.precision),
                     static_cast<int>(s.attention),
                     (s.dropout ? 1 : 0) + (fp32_fsdp_params(s) ? 2 : 0),
                     (s.gradient_accumulation_fusion ? 1 : 0) + (s.fused_bias ? 2 : 0),
                     static_cast<int>(s.recompute),
                     static_cast<int>(s.tp_algorithm) + (s.tp_comm_overlap ? 16 : 0),
                     kind};
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  const LayerShard sh = layer_shard(s);
  LayerCost lc;
  if (kind == 2) {
    lc.fwd = cost_kernels(embedding_forward(m, sh), costs, s);
    lc.bwd = cost_kernels(embedding_backward(m, sh), costs, s);
  } else if (kind == 3) {
    lc.fwd = cost_kernels(head_forward(m, sh), costs, s);
    lc.bwd = cost_kernels(head_backward(m, sh), costs, s);
  } else {
    lc.fwd = cost_kernels(layer_forward(m, sh, layer), costs, s);
    lc.bwd = cost_kernels(layer_backward(m, sh, layer), costs, s);
    lc.rec = cost_kernels(layer_recompute(m, sh, layer, s.recompute), costs, s);
  }
  return cache_.emplace(key, lc).first->second;
}

FastScore StrategyScorer::score(const Strategy& s) const {
  const auto& model = base_.workload.model;
  const auto& cluster = base_.cluster;
  const Plan shell = plan_shell(model, s, cluster.gpus_per_node);
  const OpCosts costs(shell, cluster, compute_);
  const int P = s.pp, V = s.vp, VS = P * V;
  const auto ranges = virtual_stage_layer_ranges(model.layers, VS);
  const auto m = static_cast<double>(s.micro_batches());
  const int dp_group = s.dp * s.cp;
  const bool per_layer_units = s.zero >= 3 && dp_group > 1;
  const bool ds03 = s.deepspeed03_zero3();
  const double gbytes = gradient_bytes(s), wbytes = weight_bytes(s);
  const auto pc = count_parameters(model);
  const EdgeParams edge = edge_params_rank(model, pc, s);  // the embedding's and output layer's parameters
  // ZeRO/FSDP collectives as the planner issues them: over DP, or with hybrid sharding over the
  // sharding group plus an all-reduce of the shard across replicas (build_plan's grad_sync).
  const GroupRole shard_role = s.hybrid_sharding() ? GroupRole::DPShard : GroupRole::DP;
  auto layer_params = [&](int l) { return layer_params_rank(model, pc, s, l); };
  auto grad_sync = [&](double bytes) {
    const auto kind = s.zero >= 1 ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
    double t = costs.collective(collective_op(shard_role, kind, bytes));
    if (s.hybrid_sharding())
      t += costs.collective(collective_op(GroupRole::DPReplica, CollectiveKind::AllReduce, bytes / s.zero_shard()));
    return t;
  };

  // Fraction of the SMs a collective of the sharding group takes from the compute it overlaps
  // (sim/cost/sm_contention.hpp): the compute falls that share of the overlap behind.
  auto sm_share = [&](CollectiveKind kind) {
    const int sms = cluster.gpu.sm_count;
    if (sms <= 0 || cluster.nccl_sms == 0 || dp_group <= 1) return 0.0;
    return static_cast<double>(std::min(costs.collective_sms(collective_op(shard_role, kind, 1.0)), sms - 1)) / sms;
  };
  const double gather_share = sm_share(CollectiveKind::AllGather);
  const double grad_share = sm_share(s.zero >= 1 ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce);

  // Embedding (first stage) and output layer (last stage): costed once per strategy.
  const LayerCost& emb = layer_cost(s, costs, kEmbedding);
  const LayerCost& head = layer_cost(s, costs, kHead);
  const PhaseCost &emb_f = emb.fwd, &emb_b = emb.bwd, &head_f = head.fwd, &head_b = head.bwd;
  const double p2p_bytes = static_cast<double>(s.micro_batch) * model.seq_len / s.cp * model.hidden *
                           activation_bytes(s.precision) / (s.scatter_gather_p2p ? s.tp : 1);

  // One micro-batch through every chunk of each stage.
  std::vector<double> t_stage(P, 0.0), bwd_chunk(P, 0.0), grad_stream(P, 0.0), fwd_stage(P, 0.0);
  double compute_bound_mb = 0, memory_mb = 0, comm_mb = 0, rec_flops_mb = 0;  // summed over stages
  for (int st = 0; st < P; ++st) {
    double t = 0, bwd = 0, rs_sum = 0, fwd = 0;
    std::vector<DsPiece> ds_fwd, ds_bwd;
    // A pass of `lp` parameters as its module pieces (DeepSpeed 0.3.x, build_plan's module_pieces).
    auto add_pass = [&](const PhaseCost& pass, double lp, bool backward, std::vector<DsPiece>& seq) {
      double w = 0;
      for (const auto& [weights, sec] : pass.pieces) w += weights;
      const double scale = w > 0 ? std::min(1.0, lp / w) : 0.0;
      for (std::size_t i = 0; i < pass.pieces.size(); ++i) {
        const double p = pass.pieces[i].first * scale + (i == 0 ? lp - w * scale : 0.0);
        DsPiece piece{pass.pieces[i].second + (i == 0 ? pass.comm : 0.0),
                      costs.collective(collective_op(shard_role, CollectiveKind::AllGather, p * param_gather_bytes(s),
                                                     Phase::ParamSync)),
                      backward ? costs.collective(
                                     collective_op(shard_role, CollectiveKind::AllReduce, p * gbytes, Phase::GradSync))
                               : 0.0};
        seq.push_back(piece);
      }
    };

    for (int c = 0; c < V; ++c) {
      const int vs = c * P + st;
      const auto [first, count] = ranges[vs];
      for (int l = first; l < first + count; ++l) {
        const LayerCost& lc = layer_cost(s, costs, l);
        const double f = lc.fwd.compute + lc.fwd.comm, b = lc.bwd.compute + lc.bwd.comm + lc.rec.compute + lc.rec.comm;
        if (per_layer_units && ds03) {
          // DeepSpeed 0.3.x: the layer's module pieces, as build_plan issues them, replayed below.
          const double lp = layer_params(l);
          if (vs == 0 && l == first) add_pass(emb_f, edge.embedding, false, ds_fwd);
          add_pass(lc.fwd, lp, false, ds_fwd);
          std::vector<DsPiece> layer_bwd;
          if (!lc.rec.pieces.empty()) add_pass(lc.rec, lp, false, layer_bwd);
          add_pass(lc.bwd, lp, true, layer_bwd);
          ds_bwd.insert(ds_bwd.begin(), layer_bwd.begin(), layer_bwd.end());  // backward: last layer first
          fwd += f;
        } else if (per_layer_units) {
          // FSDP: each layer's parameters all-gathered before its forward and its backward (prefetched
          // one layer ahead), gradients reduce-scattered after its backward on another stream.
          const double lp = layer_params(l);
          const double ag =
              costs.collective(collective_op(shard_role, CollectiveKind::AllGather, lp * param_gather_bytes(s)));
          const double rs = grad_sync(lp * gbytes);
          // Compute waits for the gathers only; the reduce-scatters (and, with hybrid sharding, the
          // replica all-reduces) queue on their own stream and only their backlog shows at the end.
          // The gathers overlap the compute they are prefetched behind, the reduce-scatter the next
          // layer's backward; each takes its SMs from that compute.
          const double contention = (std::min(f, ag) + std::min(b, ag)) * gather_share + std::min(b, rs) * grad_share;
          // (The stretched compute is compute activity, as in the engine's trace.)
          t += std::max(f, ag) + std::max(b, ag) + contention;
          comm_mb += std::max(0.0, ag - f) + std::max(0.0, ag - b);
          compute_bound_mb += contention;
          rs_sum += rs;
          fwd += std::max(f, ag);
        } else {
          t += f + b;
        }
        bwd += b;
        compute_bound_mb += lc.fwd.compute_bound + lc.bwd.compute_bound + lc.rec.compute_bound;
        memory_mb += (lc.fwd.compute - lc.fwd.compute_bound) + (lc.bwd.compute - lc.bwd.compute_bound) +
                     (lc.rec.compute - lc.rec.compute_bound);
        comm_mb += lc.fwd.comm + lc.bwd.comm + lc.rec.comm;
        rec_flops_mb += lc.rec.flops * s.tp;  // every TP rank recomputes its shard
      }
      if (ds03 && per_layer_units) {
        // The output layer's forward after the last layer's, its backward first; the embedding's
        // backward last (its forward went before the first layer's).
        if (vs == VS - 1) {
          std::vector<DsPiece> head_bwd;
          add_pass(head_f, edge.head, false, ds_fwd);
          add_pass(head_b, edge.head, true, head_bwd);
          ds_bwd.insert(ds_bwd.begin(), head_bwd.begin(), head_bwd.end());
        }
        if (vs == 0) add_pass(emb_b, edge.embedding, true, ds_bwd);
        memory_mb += (vs == 0 ? emb_f.compute + emb_b.compute : 0.0);
        compute_bound_mb += vs == VS - 1 ? head_f.compute_bound + head_b.compute_bound : 0.0;
        memory_mb += vs == VS - 1 ? head_f.compute - head_f.compute_bound + head_b.compute - head_b.compute_bound : 0.0;
      } else if (vs == 0) {
        t += emb_f.compute + emb_f.comm + emb_b.compute + emb_b.comm;
        memory_mb += emb_f.compute + emb_b.compute;
        comm_mb += emb_f.comm + emb_b.comm;
      }
      if (vs == VS - 1 && !(ds03 && per_layer_units)) {
        t += head_f.compute + head_f.comm + head_b.compute + head_b.comm;
        compute_bound_mb += head_f.compute_bound + head_b.compute_bound;
        memory_mb += head_f.compute - head_f.compute_bound + head_b.compute - head_b.compute_bound;
        comm_mb += head_f.comm + head_b.comm;
      }
      // Without --overlap-p2p-comm a send holds the compute stream (Megatron's blocking p2p).
      if (!s.overlap_p2p_comm) {
        if (vs < VS - 1) t += costs.p2p(st, (vs + 1) % P, p2p_bytes);
        if (vs > 0) t += costs.p2p(st, (vs - 1) % P, p2p_bytes);
      }
    }
    if (!ds_fwd.empty()) {
      // Replay the pieces: a gather may start once the compute two pieces back is done, after the
      // stream's earlier work; a piece's gradient all-reduce queues after the next gather.
      ds_fwd.insert(ds_fwd.end(), ds_bwd.begin(), ds_bwd.end());
      double stream = 0, c1 = 0, c2 = 0, busy = 0, computing = 0;
      double pending = 0, pending_ready = 0;
      for (const DsPiece& p : ds_fwd) {
        stream = std::max(stream, c2) + p.gather;
        const double gathered = stream;
        if (pending > 0) stream = std::max(stream, pending_ready) + pending, pending = 0;
        const double end = std::max(c1, gathered) + p.compute;
        c2 = c1;
        c1 = end;
        busy += p.gather + p.reduce;
        computing += p.compute;
        if (p.reduce > 0) pending = p.reduce, pending_ready = end;
      }
      if (pending > 0) stream = std::max(stream, pending_ready) + pending;
      const double span = std::max(c1, stream);
      const double contention = std::min(computing, busy) * gather_share;
      t += span + contention;
      comm_mb += span - computing;
      compute_bound_mb += contention;
    }
    t_stage[st] = t;
    bwd_chunk[st] = bwd / V;
    grad_stream[st] = rs_sum;
    fwd_stage[st] = fwd;
  }
  const int slowest = static_cast<int>(std::max_element(t_stage.begin(), t_stage.end()) - t_stage.begin());
  const double t_max = t_stage[slowest];
  double t_sum = 0;
  for (double t : t_stage) t_sum += t;
  const double t_pipe = m * t_max + (t_sum - t_max) / V;

  // Bucketed data-parallel synchronisation (build_plan's buckets): the units of stage st's chunk 0,
  // which runs the stage's last backward and its first forward, in pass order, as (time, params).
  auto chunk0_units = [&](int st, bool forward) {
    std::vector<std::pair<double, double>> units;
    const auto [first, count] = ranges[st];
    for (int l = first; l < first + count; ++l) {
      const LayerCost& lc = layer_cost(s, costs, l);
      const double t =
          forward ? lc.fwd.compute + lc.fwd.comm : lc.bwd.compute + lc.bwd.comm + lc.rec.compute + lc.rec.comm;
      units.emplace_back(t, layer_params(l));
    }
    if (st == 0) {
      units.front().first += forward ? emb_f.compute + emb_f.comm : emb_b.compute + emb_b.comm;
      units.front().second += edge.embedding;
    }
    if (st == VS - 1) {
      units.back().first += forward ? head_f.compute + head_f.comm : head_b.compute + head_b.comm;
      units.back().second += edge.head;
    }
    if (!forward) std::reverse(units.begin(), units.end());
    return units;
  };
  // Buckets close once they hold bucket_size() parameters; returns (params, index of last unit).
  auto buckets = [&](const std::vector<std::pair<double, double>>& units) {
    std::vector<std::pair<double, std::size_t>> out;
    for (std::size_t u = 0; u < units.size(); ++u) {
      if (out.empty() || out.back().first >= s.bucket_size()) out.emplace_back(0.0, u);
      out.back().first += units[u].second;
      out.back().second = u;
    }
    return out;
  };
  // What the gradient buckets of the last backward leave after it: each reduction starts when its
  // last unit is done and after the previous one on the same stream.
  // Also returns the stream's busy time (the reductions' total).
  auto gradient_tail = [&](int st) {
    const auto units = chunk0_units(st, false);
    std::vector<double> done(units.size());
    double t = 0, stream = 0, busy = 0;
    for (std::size_t u = 0; u < units.size(); ++u) done[u] = t += units[u].first;
    for (const auto& [p, last] : buckets(units)) {
      const double g = grad_sync(p * gbytes);
      stream = std::max(stream, done[last]) + g;
      busy += g;
    }
    return std::make_pair(std::max(0.0, stream - t), busy);
  };
  // What the weight buckets, all queued at the iteration start, delay stage 0's first forward.
  // Also returns the part of the gathers that overlaps that forward's compute.
  auto gather_lead = [&]() {
    const auto units = chunk0_units(0, true);
    const auto bs = buckets(units);
    double stream = 0, t = 0, busy = 0;
    std::size_t u = 0;
    for (const auto& [p, last] : bs) {
      stream += costs.collective(collective_op(shard_role, CollectiveKind::AllGather, p * wbytes));
      t = std::max(t, stream);
      for (; u <= last; ++u) t += units[u].first, busy += units[u].first;
    }
    return std::make_pair(t - busy, std::max(0.0, stream - (t - busy)));
  };
  const bool bucketed = s.bucketed_dp_sync();
  const bool gather_in_forward = bucketed && s.zero >= 1 && s.overlap_param_gather;
  const auto [lead, gather_overlap] = gather_in_forward ? gather_lead() : std::make_pair(0.0, 0.0);

  // Gradient synchronisation, optimizer step and parameter gather of each stage after its last backward.
  FastScore out;
  double T = 0;
  double optimizer_copy_s = 0, optimizer_host_s = 0;  // offloaded step: host-link copies, CPU Adam
  for (int st = 0; st < P; ++st) {
    const double params = shell.params_per_rank_by_stage[st];
    // Stage st finishes its last backward about st backward chunks before stage 0 (1F1B drain).
    const double end = lead + t_pipe - st * bwd_chunk[st];
    double sync = 0, contention = gather_overlap * gather_share;
    if (bucketed && s.overlap_grad_reduce) {
      // Earlier chunks' buckets drain behind later compute; the last backward's leave a tail.
      // The overlapped reductions (the other chunks' about as long as chunk 0's) take SMs.
      const auto [tail, busy] = gradient_tail(st);
      sync = tail;
      contention += (V * busy - tail) * grad_share;
    } else if (dp_group > 1 && !per_layer_units) {
      sync = grad_sync(params * gbytes);
    } else if (per_layer_units) {
      // The last layer's reduction, or the gradient stream's backlog when it outlasts the compute
      // it overlaps (every micro-batch's backward and the later forwards: all but the first forward).
      const double lp = params / std::max(1, stage_layers(model, s, st));
      sync = ds03 ? 0.0 : std::max(grad_sync(lp * gbytes), m * grad_stream[st] - (m * t_stage[st] - fwd_stage[st]));
    }
    if (P > 1 && model.tied_embeddings && (st == 0 || st == P - 1))
      sync += costs.collective(collective_op(GroupRole::Embedding, CollectiveKind::AllReduce,
                                             static_cast<double>(model.vocab) * model.hidden / s.tp * gbytes));
    // The optimizer step's kernels as build_plan issues them: on the GPU, or offloaded to the host
    // (copies over the host link, CPU Adam), one after the other.
    const double local = params / (s.zero >= 1 ? s.zero_shard() : 1);
    const std::vector<Kernel> opt_kernels = s.optimizer_offload
                                                ? offloaded_optimizer_step_kernels(local, wbytes, s.precision)
                                                : optimizer_step_kernels(local, gbytes, wbytes, s.precision);
    double opt = 0, opt_copy = 0, opt_host = 0;
    for (const auto& k : opt_kernels) {
      const double t = costs.kernel_time(k);
      opt += t;
      if (k.kind == KernelKind::HostCopy) opt_copy += t;
      if (k.kind == KernelKind::HostMemory) opt_host += t;
    }
    double gather = 0;
    if (dp_group > 1 && s.zero >= 1 && !per_layer_units && !gather_in_forward)
      gather = costs.collective(collective_op(shard_role, CollectiveKind::AllGather, params * wbytes));
    const double done = end + sync + opt + gather + contention;
    if (done > T) {
      T = done;
      out.dp_exposed_s = sync + gather + lead;
      out.optimizer_s = opt;
      optimizer_copy_s = opt_copy;
      optimizer_host_s = opt_host;
    }
  }
  out.iteration_time_s = T;
  out.pipeline_bubble_s = t_pipe - m * t_max;

  // Throughput and FLOP rates as Metrics defines them.
  const double gpus = static_cast<double>(s.world());
  const double tokens = static_cast<double>(s.global_batch) * model.seq_len;
  out.tokens_per_s = tokens / T;
  const double model_flops = model_flops_per_iteration(model, s.global_batch);
  const double ranks_per_stage = static_cast<double>(s.dp) * s.cp;  // rec_flops_mb already counts TP ranks
  out.recompute_flops = rec_flops_mb * m * ranks_per_stage;
  const double hw_flops = model_flops + out.recompute_flops;
  const double peak = cluster.gpu.peak_flops(s.precision);
  out.model_tflops_per_gpu = model_flops / T / gpus / 1e12;
  out.hardware_tflops_per_gpu = hw_flops / T / gpus / 1e12;
  out.mfu = out.model_tflops_per_gpu * 1e12 / peak;
  out.hfu = out.hardware_tflops_per_gpu * 1e12 / peak;
  if (base_.workload.train_tokens > 0) out.time_to_train_s = base_.workload.train_tokens / out.tokens_per_s;

  // Per-GPU activity (mean over stages), the rest of the iteration idle.
  auto& a = out.activity;
  a.compute_s = compute_bound_mb * m / P;
  // An offloaded optimizer step keeps the GPU's copy engines busy (comm) and leaves it idle while
  // the host runs Adam, as activity_from_trace counts it (sim/metrics/activity.cpp).
  a.memory_s = memory_mb * m / P + out.optimizer_s - optimizer_copy_s - optimizer_host_s;
  a.comm_s = comm_mb * m / P + out.dp_exposed_s + optimizer_copy_s;
  a.idle_s = std::max(0.0, T - a.compute_s - a.memory_s - a.comm_s);

  out.memory = memory_report(base_, shell);  // reads the strategy from the shell
  return out;
}

Metrics StrategyScorer::metrics(const Strategy& s) const {
  const FastScore f = score(s);
  Metrics m = iteration_metrics(base_, base_.workload.model, s, f.iteration_time_s, f.recompute_flops);
  m.engine = "fast";
  m.breakdown.pipeline_bubble = f.pipeline_bubble_s;
  m.breakdown.dp_comm_exposed = f.dp_exposed_s;
  m.breakdown.optimizer = f.optimizer_s;
  m.memory = f.memory;
  if (f.iteration_time_s > 0) m.energy_cost = energy_cost_report(base_, s, f.activity, m);
  return m;
}

}  // namespace trainsim
