#include "sim/plan/planner.hpp"

#include "models/util/errors.hpp"
#include "models/workload/optimizer_kernels.hpp"
#include "sim/plan/pipeline_schedule.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <tuple>

namespace trainsim {

double gradient_bytes(const Strategy& s) {
  if (s.grad_reduce_dtype) return *s.grad_reduce_dtype == Precision::FP32 ? 4.0 : 2.0;
  switch (s.precision) {
    case Precision::FP16: return 2.0;
    default: return 4.0;
  }
}
double weight_bytes(const Strategy& s) { return activation_bytes(s.precision); }
bool fp32_fsdp_params(const Strategy& s) { return s.zero >= 3 && s.fsdp_param_dtype == Precision::FP32; }
double param_gather_bytes(const Strategy& s) { return fp32_fsdp_params(s) ? 4.0 : weight_bytes(s); }

LayerShard layer_shard(const Strategy& s) {
  LayerShard sh;
  sh.micro_batch = s.micro_batch;
  sh.tp = s.tp;
  sh.sequence_parallel = s.sequence_parallel;
  sh.cp = s.cp;
  sh.ep = s.ep;
  sh.etp = s.expert_tp();
  sh.precision = s.precision;
  sh.attention = s.attention;
  sh.dropout = s.dropout;
  sh.gradient_accumulation_fusion = s.gradient_accumulation_fusion;
  sh.fused_bias = s.fused_bias;
  sh.fused_elementwise = s.fused_elementwise;
  sh.fp32_weights_autocast = fp32_fsdp_params(s);
  sh.tp_overlap = s.tp_overlap;
  sh.dispatcher = s.moe_dispatcher;
  sh.recompute_modules = s.recompute_modules;
  return sh;
}

double layer_params_rank(const TransformerConfig& m, const ParamCount& pc, const Strategy& s, int layer) {
  return layer_matrix_params_per_rank(m, pc, s.tp, s.ep, s.expert_tp(), layer) + static_cast<double>(pc.norms);
}

double layer_expert_params_rank(const TransformerConfig& m, const ParamCount& pc, const Strategy& s, int layer) {
  if (!m.is_moe_layer(layer)) return 0.0;
  return static_cast<double>(pc.routed_experts) / (static_cast<double>(s.ep) * s.expert_tp());
}

EdgeParams edge_params_rank(const TransformerConfig& m, const ParamCount& pc, const Strategy& s) {
  const double vocab_shard = static_cast<double>(m.vocab) * m.hidden / s.tp;
  EdgeParams e;
  e.embedding = vocab_shard + (m.learned_positions ? static_cast<double>(m.seq_len * m.hidden) : 0.0);
  e.head = static_cast<double>(pc.final_norm) + (!m.tied_embeddings || s.pp > 1 ? vocab_shard : 0.0);
  return e;
}

namespace {

std::int64_t p2p_tag(int mb, int vs, int vstages, bool forward) {
  return (static_cast<std::int64_t>(mb) * vstages + vs) * 2 + (forward ? 0 : 1);
}

}  // namespace

std::vector<std::pair<int, int>> virtual_stage_layer_ranges(int layers, int VS) {
  if (VS < 1 || layers < VS) throw InternalError("planner: fewer layers than virtual stages");
  std::vector<int> count(VS, layers / VS);
  int extra = layers % VS;
  // Middle stages take the extra layers first; the first and last take them only when every
  // middle stage already has one.
  for (int vs = 1; vs + 1 < VS && extra > 0; ++vs, --extra) ++count[vs];
  if (extra > 0) ++count[0], --extra;
  if (extra > 0) ++count[VS - 1], --extra;
  std::vector<std::pair<int, int>> out(VS);
  int first = 0;
  for (int vs = 0; vs < VS; ++vs) {
    out[vs] = {first, count[vs]};
    first += count[vs];
  }
  return out;
}

int stage_layers(const TransformerConfig& m, const Strategy& s, int stage) {
  const auto ranges = virtual_stage_layer_ranges(m.layers, s.pp * s.vp);
  int n = 0;
  for (int c = 0; c < s.vp; ++c) n += ranges[c * s.pp + stage].second;
  return n;
}

std::vector<double> params_per_rank_by_stage(const TransformerConfig& m, const Strategy& s) {
  const ParamCount pc = count_parameters(m);
  const auto ranges = virtual_stage_layer_ranges(m.layers, s.pp * s.vp);
  const EdgeParams edge = edge_params_rank(m, pc, s);
  std::vector<double> out(s.pp, 0.0);
  for (int stage = 0; stage < s.pp; ++stage) {
    double p = 0;
    for (int c = 0; c < s.vp; ++c) {
      const auto [first, count] = ranges[c * s.pp + stage];
      for (int l = first; l < first + count; ++l) p += layer_params_rank(m, pc, s, l);
    }
    if (stage == 0) p += edge.embedding;
    if (stage == s.pp - 1) p += edge.head;
    out[stage] = p;
  }
  return out;
}

double params_per_rank(const TransformerConfig& m, const Strategy& s, int stage) {
  return params_per_rank_by_stage(m, s).at(stage);
}

namespace {
/// Removes the blocks no op runs (the whole units that DeepSpeed 0.3.x runs as module pieces),
/// renumbering the ops' block indices.
void drop_unused_blocks(Plan& plan) {
  std::vector<int> index(plan.blocks.size(), -1);
  for (const auto& pr : plan.programs)
    for (const auto& op : pr.ops)
      if (op.block >= 0) index[op.block] = 0;
  if (std::find(index.begin(), index.end(), -1) == index.end()) return;
  std::vector<Block> kept;
  for (size_t b = 0; b < plan.blocks.size(); ++b)
    if (index[b] == 0) {
      index[b] = static_cast<int>(kept.size());
      kept.push_back(std::move(plan.blocks[b]));
    }
  plan.blocks = std::move(kept);
  for (auto& pr : plan.programs)
    for (auto& op : pr.ops)
      if (op.block >= 0) op.block = index[op.block];
}

/// The blocks of every unit pass, kernels included: block ids per virtual stage and unit.
struct UnitBlocks {
  std::vector<std::vector<int>> forward, backward, recompute;  ///< [vs][unit in forward order], -1: none
};

UnitBlocks unit_blocks(const PlanUnits& pu, Plan& plan) {
  const Strategy& s = pu.strategy;
  // Layers of one kind run the same kernels: each (part, pass, kind) is built once.
  std::map<std::tuple<int, int, int>, std::vector<Kernel>> kernels_of;
  auto kernels = [&](const BlockSegment& g) -> const std::vector<Kernel>& {
    const int kind = g.part == ModelPart::Layer ? pu.model.layer_kind(g.layer) : -1;
    const auto key = std::make_tuple(static_cast<int>(g.part), static_cast<int>(g.pass), kind);
    auto it = kernels_of.find(key);
    if (it == kernels_of.end()) it = kernels_of.emplace(key, segment_kernels(pu.model, pu.shard, s.recompute, g)).first;
    return it->second;
  };
  auto push = [&](const std::string& what, Phase phase, int vs, const PlanUnit& u, const UnitPass& pass) {
    Block b;
    b.name = what + " vstage " + std::to_string(vs) + (pu.layer_units ? " layer " + std::to_string(u.first_layer) : "");
    b.phase = phase;
    b.virtual_stage = vs;
    b.first_layer = u.first_layer;
    b.layers = u.layers;
    b.params = u.params;
    b.trainable_params = u.trainable;
    b.segments.assign(pu.begin(pass), pu.end(pass));
    for (const auto& g : b.segments) {
      const auto& k = kernels(g);
      b.kernels.insert(b.kernels.end(), k.begin(), k.end());
    }
    plan.blocks.push_back(std::move(b));
    return static_cast<int>(plan.blocks.size()) - 1;
  };
  UnitBlocks ub;
  const int VS = pu.virtual_stages();
  ub.forward.resize(VS);
  ub.backward.resize(VS);
  ub.recompute.resize(VS);
  for (int vs = 0; vs < VS; ++vs) {
    const auto units = pu.units_of(vs);
    const std::size_t n = units.size();
    ub.forward[vs].assign(n, -1);
    ub.backward[vs].assign(n, -1);
    ub.recompute[vs].assign(n, -1);
    for (std::size_t u = 0; u < n; ++u) {
      ub.forward[vs][u] = push("forward", Phase::Forward, vs, units[u], units[u].forward);
      if (!units[u].recompute.empty())
        ub.recompute[vs][u] = push("recompute", Phase::Recompute, vs, units[u], units[u].recompute);
    }
    for (std::size_t u = n; u-- > 0;)
      ub.backward[vs][u] = push("backward", Phase::Backward, vs, units[u], units[u].backward);
  }
  return ub;
}

}  // namespace

Plan build_plan(const TransformerConfig& model, const Strategy& s, int gpus_per_node) {
  return expand_schedule(plan_units(model, s, gpus_per_node));
}

Plan expand_schedule(const PlanUnits& pu) {
  Plan plan;
  plan.model = pu.model;
  plan.strategy = pu.strategy;
  plan.gpus_per_node = pu.gpus_per_node;
  const Strategy& s = pu.strategy;
  const int P = s.pp, V = s.vp, VS = P * V;
  const int m = pu.micro_batches;
  for (const auto& v : pu.vstages) plan.virtual_stage_layers.emplace_back(v.first_layer, v.layers);
  const UnitBlocks ub = unit_blocks(pu, plan);
  auto push = [&plan](Block b) {
    plan.blocks.push_back(std::move(b));
    return static_cast<int>(plan.blocks.size()) - 1;
  };

  // A pipeline send or receive of one micro-batch's activations (or their gradients).
  auto p2p = [&](Op op, OpKind kind, Phase phase, int peer_stage, std::int64_t tag, std::vector<int> deps) {
    op.kind = kind;
    op.stream = kind == OpKind::Send ? pu.p2p_send_stream : Stream::PpComm;
    op.phase = phase;
    op.peer_stage = peer_stage;
    op.bytes = pu.p2p_bytes;
    op.tag = tag;
    op.deps = std::move(deps);
    return op;
  };

  plan.programs.resize(P);
  for (const auto& t : pu.tails) plan.params_per_rank_by_stage.push_back(t.params);
  for (int stage = 0; stage < P; ++stage) {
    auto& prog = plan.programs[stage];
    prog.stage = stage;
    auto& ops = prog.ops;
    auto add = [&ops](Op op) {
      ops.push_back(std::move(op));
      return static_cast<int>(ops.size()) - 1;
    };
    const StageTail& tail = pu.tails[stage];
    plan.params_per_stage_rank_max = std::max(plan.params_per_stage_rank_max, tail.params);
    // A side-stream collective after `deps` (the gradient synchronisations, the gathers).
    auto side = [](const SideCollective& c, Stream stream, Phase phase, std::vector<int> deps) {
      Op g;
      g.kind = OpKind::Collective;
      g.stream = stream;
      g.phase = phase;
      g.group = c.group;
      g.collective = c.kind;
      g.bytes = c.bytes;
      g.deps = std::move(deps);
      return g;
    };
    // A gradient synchronisation of `bytes` after op `after` on `stream`: one collective, or with
    // hybrid sharding one in the shard group then one across replicas; returns the last.
    auto grad_sync = [&](Stream stream, int after, int micro_batch, int chunk, double bytes, double expert_bytes = 0) {
      int last = after;
      for (const auto& c : pu.gradient_sync(bytes, expert_bytes)) {
        Op g = side(c, stream, Phase::GradSync, {last});
        g.micro_batch = micro_batch;
        g.chunk = chunk;
        last = add(g);
      }
      return last;
    };
    // ZeRO-3 parameter gather of a unit (or module), prefetched: it may start once the compute
    // prefetch_units + 1 compute ops back has finished.
    std::vector<int> computes;  // forward and backward compute ops, in order
    auto param_gather = [&](double params) {
      const auto back = static_cast<std::size_t>(pu.prefetch_units + 1);
      std::vector<int> deps;
      if (computes.size() >= back) deps.push_back(computes[computes.size() - back]);
      return side(pu.param_gather(params), Stream::ParamComm, Phase::ParamSync, std::move(deps));
    };
    std::vector<int> unit_grad_ops;
    // DeepSpeed 0.3.x: a module's gradient all-reduce waits for the next module's gather.
    std::optional<std::tuple<int, int, int, double>> pending_grad;  // after, micro-batch, chunk, bytes
    auto flush_grad = [&] {
      if (pending_grad) {
        const auto [after, mb, chunk, bytes] = *pending_grad;
        unit_grad_ops.push_back(grad_sync(Stream::ParamComm, after, mb, chunk, bytes));
      }
      pending_grad.reset();
    };
    // DeepSpeed 0.3.x: a unit runs module by module, each behind its own gather; `done` sees every
    // piece's compute op and block.
    std::map<int, std::vector<int>> pieces_of;
    auto run_modules = [&](const Op& base, Phase phase, int blk, std::vector<int> deps,
                           const std::function<void(int, int)>& done) {
      auto it = pieces_of.find(blk);
      if (it == pieces_of.end()) {
        std::vector<int> ids;
        for (auto& piece : module_pieces(plan.blocks[blk])) ids.push_back(push(std::move(piece)));
        it = pieces_of.emplace(blk, std::move(ids)).first;
      }
      int ci = -1;
      for (const int pb : it->second) {
        std::vector<int> cdeps = ci < 0 ? deps : std::vector<int>{ci};
        cdeps.push_back(add(param_gather(plan.blocks[pb].params)));
        flush_grad();
        Op c = base;
        c.kind = OpKind::Compute;
        c.phase = phase;
        c.block = pb;
        c.deps = cdeps;
        ci = add(c);
        computes.push_back(ci);
        if (done) done(ci, pb);
      }
      return ci;
    };
    // Last backward step of each chunk: where its gradients become final (for overlap); first
    // forward step of each chunk: where the previous update's weights must have arrived.
    const auto steps = pipeline_schedule(s.schedule, stage, P, m, V);
    std::vector<int> last_bwd_of_chunk(V, -1), first_fwd_of_chunk(V, -1), chunk_grad_ops;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (!steps[i].forward)
        last_bwd_of_chunk[steps[i].chunk] = static_cast<int>(i);
      else if (first_fwd_of_chunk[steps[i].chunk] < 0)
        first_fwd_of_chunk[steps[i].chunk] = static_cast<int>(i);
    }

    for (size_t i = 0; i < steps.size(); ++i) {
      const auto& st = steps[i];
      const int vs = st.chunk * P + stage;
      const auto units = pu.units_of(vs);
      const Buckets weight_buckets = pu.weight_buckets(vs), grad_buckets = pu.grad_buckets(vs);
      const std::size_t n = units.size();
      Op base;
      base.micro_batch = st.micro_batch;
      base.chunk = st.chunk;
      if (st.forward) {
        std::vector<int> deps;
        if (vs > 0) {
          deps.push_back(
              add(p2p(base, OpKind::Recv, Phase::Forward, (vs - 1) % P, p2p_tag(st.micro_batch, vs, VS, true), {})));
        }
        int ci = -1, bucket_gather = -1;
        const bool gather_here = pu.gathers_in_forward && static_cast<int>(i) == first_fwd_of_chunk[st.chunk];
        for (size_t u = 0; u < n; ++u) {
          const int blk = ub.forward[vs][u];
          std::vector<int> cdeps = u == 0 ? deps : std::vector<int>{ci};
          if (pu.module_pieces) {
            ci = run_modules(base, Phase::Forward, blk, cdeps, nullptr);
            continue;
          }
          if (pu.unit_gathers) cdeps.push_back(add(param_gather(units[u].params)));
          if (gather_here && weight_buckets.opens(u)) {
            // The previous step's updated weights of this bucket: queued on the gather stream from
            // the start of the iteration (the steady state of the optimizer step's dispatch).
            const int wb = weight_buckets.of[u];
            for (const auto& c : pu.weight_gather(weight_buckets.params[wb], weight_buckets.expert[wb])) {
              Op g = side(c, Stream::ParamComm, Phase::ParamSync, {});
              g.chunk = st.chunk;
              bucket_gather = add(g);
            }
          }
          if (gather_here) cdeps.push_back(bucket_gather);
          Op c = base;
          c.kind = OpKind::Compute;
          c.phase = Phase::Forward;
          c.block = blk;
          c.deps = cdeps;
          ci = add(c);
          computes.push_back(ci);
        }
        if (vs < VS - 1) {
          add(p2p(base, OpKind::Send, Phase::Forward, (vs + 1) % P, p2p_tag(st.micro_batch, vs + 1, VS, true), {ci}));
        }
      } else {
        std::vector<int> deps;
        if (vs < VS - 1) {
          deps.push_back(
              add(p2p(base, OpKind::Recv, Phase::Backward, (vs + 1) % P, p2p_tag(st.micro_batch, vs, VS, false), {})));
        }
        int ci = -1;
        const bool reduce_here = pu.grads_in_buckets && static_cast<int>(i) == last_bwd_of_chunk[st.chunk];
        for (size_t b = 0; b < n; ++b) {
          const size_t u = n - 1 - b;  // the backward runs the units in reverse
          const int blk = ub.backward[vs][u], rec = ub.recompute[vs][u];
          std::vector<int> cdeps = b == 0 ? deps : std::vector<int>{ci};
          if (pu.module_pieces) {
            // DeepSpeed's forward hooks release the parameters after the recomputation, its
            // backward hooks gather them again; each module's gradients are all-reduced once its
            // backward is done (DeepSpeed 0.3.x, contiguous_gradients false).
            if (rec >= 0) cdeps = {run_modules(base, Phase::Recompute, rec, cdeps, nullptr)};
            ci = run_modules(base, Phase::Backward, blk, cdeps, [&](int c, int pb) {
              pending_grad.emplace(c, st.micro_batch, st.chunk,
                                   plan.blocks[pb].trainable_params * pu.grad_bytes_per_param);
            });
            continue;
          }
          if (pu.unit_gathers) cdeps.push_back(add(param_gather(units[u].params)));
          if (rec >= 0) {
            Op rc = base;
            rc.kind = OpKind::Compute;
            rc.phase = Phase::Recompute;
            rc.block = rec;
            rc.deps = cdeps;
            cdeps = {add(rc)};
          }
          Op c = base;
          c.kind = OpKind::Compute;
          c.phase = Phase::Backward;
          c.block = blk;
          c.deps = cdeps;
          ci = add(c);
          computes.push_back(ci);
          if (reduce_here && grad_buckets.closes(b)) {
            // The bucket's gradients are final: reduce them while the backward goes on.
            const int gb = grad_buckets.of[b];
            chunk_grad_ops.push_back(grad_sync(Stream::DpComm, ci, -1, st.chunk,
                                               grad_buckets.params[gb] * pu.grad_bytes_per_param,
                                               grad_buckets.expert[gb] * pu.grad_bytes_per_param));
          }
          if (pu.unit_gathers) {
            // FSDP reduce-scatters each unit's gradients as soon as its backward is done.
            unit_grad_ops.push_back(
                grad_sync(Stream::DpComm, ci, st.micro_batch, st.chunk, units[u].trainable * pu.grad_bytes_per_param));
          }
        }
        flush_grad();
        if (vs > 0) {
          add(p2p(base, OpKind::Send, Phase::Backward, (vs - 1) % P, p2p_tag(st.micro_batch, vs - 1, VS, false), {ci}));
        }
      }
    }
    const int last_op = static_cast<int>(ops.size()) - 1;
    std::vector<int> sync_deps = chunk_grad_ops;
    sync_deps.insert(sync_deps.end(), unit_grad_ops.begin(), unit_grad_ops.end());
    if (!tail.grad_sync.empty()) {
      int last = last_op;
      for (const auto& c : tail.grad_sync) last = add(side(c, Stream::DpComm, Phase::GradSync, {last}));
      sync_deps.push_back(last);
    }
    if (tail.embedding_grad_bytes > 0) {
      const SideCollective e{CollectiveKind::AllReduce, GroupRole::Embedding, tail.embedding_grad_bytes};
      sync_deps.push_back(add(side(e, Stream::DpComm, Phase::GradSync, {last_op})));
    }
    // Optimizer step over the rank's (sharded) parameters, once its gradients are final.
    std::vector<int> opt_deps = sync_deps;
    opt_deps.push_back(last_op);
    int oi = -1;
    for (auto& step : optimizer_steps(pu, tail)) {
      step.name += " stage " + std::to_string(stage);
      Op o;
      o.kind = OpKind::Compute;
      o.phase = Phase::Optimizer;
      o.block = push(std::move(step));
      o.deps = oi < 0 ? opt_deps : std::vector<int>{oi};
      oi = add(o);
    }
    for (int last = oi; const auto& c : tail.weight_gather)
      last = add(side(c, Stream::DpComm, Phase::ParamSync, {last}));
  }
  drop_unused_blocks(plan);
  return plan;
}

std::vector<Block> optimizer_steps(const PlanUnits& pu, const StageTail& tail) {
  const Strategy& s = pu.strategy;
  std::vector<Block> out;
  auto step = [&](std::string name, std::vector<Kernel> kernels) {
    Block b;
    b.name = std::move(name);
    b.phase = Phase::Optimizer;
    b.kernels = std::move(kernels);
    out.push_back(std::move(b));
  };
  if (s.optimizer_offload) {
    // ZeRO-Offload: gradients to host, CPU Adam on the host's fp32 state, weights back; each
    // step its own op so that the trace shows the host link and the host time apart
    // (models/workload/optimizer_kernels.hpp). They chain: no overlap with the GPU's work.
    for (auto& k : offloaded_optimizer_step_kernels(tail.optimizer_params, pu.weight_bytes_per_param, s.precision)) {
      std::string name = "optimizer offload " + k.name;
      step(std::move(name), {std::move(k)});
    }
  } else {
    // Mixed-precision Adam on the GPU: memory-bound passes (models/workload/optimizer_kernels.hpp).
    step("optimizer", optimizer_step_kernels(tail.optimizer_params, pu.grad_bytes_per_param, pu.weight_bytes_per_param,
                                             s.precision));
  }
  return out;
}

}  // namespace trainsim
