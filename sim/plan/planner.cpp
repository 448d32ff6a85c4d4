#include "sim/plan/planner.hpp"

#include "models/util/errors.hpp"
#include "models/workload/optimizer_kernels.hpp"
#include "sim/plan/pipeline_schedule.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

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
  sh.precision = s.precision;
  sh.attention = s.attention;
  sh.dropout = s.dropout;
  sh.gradient_accumulation_fusion = s.gradient_accumulation_fusion;
  sh.fused_bias = s.fused_bias;
  sh.fp32_weights_autocast = fp32_fsdp_params(s);
  sh.tp_overlap = s.tp_overlap;
  return sh;
}

double layer_params_rank(const TransformerConfig& m, const ParamCount& pc, const Strategy& s, int layer) {
  double mlp = m.is_moe_layer(layer) ? static_cast<double>(pc.moe_mlp) / s.ep : static_cast<double>(pc.mlp);
  return (static_cast<double>(pc.attention) + mlp) / s.tp + static_cast<double>(pc.norms);
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
/// A block split at its modules, as a runtime that fetches parameters per module sees it
/// (DeepSpeed 0.3.x's pre-forward/pre-backward hooks on each nn.Linear): one piece per weighted
/// module, opening at the kernel that carries its weights (Kernel::weights) and running to the
/// next. The block's parameters go to the pieces in proportion to their weights; what the
/// modules do not hold (embedding, norms, biases) goes to the first piece, with the kernels
/// before the first module.
std::vector<Block> module_pieces(const Block& b) {
  double weights = 0;
  for (const auto& k : b.kernels) weights += k.weights;
  const double scale = weights > 0 ? std::min(1.0, b.params / weights) : 0.0;
  std::vector<Block> pieces;
  for (const auto& k : b.kernels) {
    if (pieces.empty() || k.weights > 0) {
      Block p{b.name + " module " + std::to_string(pieces.size()),
              b.phase,
              b.virtual_stage,
              b.first_layer,
              b.layers,
              {},
              0};
      pieces.push_back(std::move(p));
    }
    pieces.back().kernels.push_back(k);
    pieces.back().params += k.weights * scale;
  }
  if (!pieces.empty()) pieces.front().params += b.params - weights * scale;
  return pieces;
}
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
}  // namespace

Plan build_plan(const TransformerConfig& model, const Strategy& s, int gpus_per_node) {
  Plan plan;
  plan.model = model;
  plan.strategy = s;
  plan.gpus_per_node = gpus_per_node;
  const int P = s.pp, V = s.vp, VS = P * V;
  const auto ranges = virtual_stage_layer_ranges(model.layers, VS);
  const auto m = static_cast<int>(s.micro_batches());
  if (m < 1) throw InternalError("planner: no micro-batches (strategy not resolved)");
  const LayerShard sh = layer_shard(s);

  // Blocks: forward, backward and recompute of every virtual stage, split into units. A unit is
  // the whole chunk, except with ZeRO-3 / FSDP where each layer is its own unit (FSDP wraps
  // each transformer block: its parameters are gathered just before use and its gradients
  // reduce-scattered just after; Zhao et al., "PyTorch FSDP", VLDB 2023, Sec. 3), and with
  // bucketed data-parallel synchronisation, whose buckets fill layer by layer.
  const bool zero3_units = s.zero >= 3 && s.dp * s.cp > 1;
  const bool layer_units = zero3_units || s.bucketed_dp_sync();
  const ParamCount pc = count_parameters(model);
  std::vector<std::vector<int>> fwd_units(VS), bwd_units(VS), rec_units(VS);
  // Parameters outside the layers belong to the units that use them: the embedding's to the
  // first unit, the final norm's and output layer's to the last (as params_per_rank_by_stage).
  const EdgeParams edge = edge_params_rank(model, pc, s);
  const double embedding_params = edge.embedding, head_params = edge.head;
  plan.virtual_stage_layers.resize(VS);
  auto append = [](std::vector<Kernel>& dst, std::vector<Kernel> src) {
    dst.insert(dst.end(), std::make_move_iterator(src.begin()), std::make_move_iterator(src.end()));
  };
  auto push = [&plan](Block b) {
    plan.blocks.push_back(std::move(b));
    return static_cast<int>(plan.blocks.size()) - 1;
  };
  for (int vs = 0; vs < VS; ++vs) {
    const auto [first, per_chunk] = ranges[vs];
    plan.virtual_stage_layers[vs] = ranges[vs];
    const int unit_layers = layer_units ? 1 : per_chunk;
    for (int u0 = first; u0 < first + per_chunk; u0 += unit_layers) {
      const int u1 = u0 + unit_layers;  // [u0, u1)
      const std::string tag = layer_units ? " layer " + std::to_string(u0) : "";
      Block f{"forward vstage " + std::to_string(vs) + tag, Phase::Forward, vs, u0, unit_layers, {}, 0};
      Block r{"recompute vstage " + std::to_string(vs) + tag, Phase::Recompute, vs, u0, unit_layers, {}, 0};
      for (int l = u0; l < u1; ++l) {
        f.params += layer_params_rank(model, pc, s, l);
        append(f.kernels, layer_forward(model, sh, l));
        append(r.kernels, layer_recompute(model, sh, l, s.recompute));
      }
      if (vs == 0 && u0 == first) {
        std::vector<Kernel> k = embedding_forward(model, sh);
        f.kernels.insert(f.kernels.begin(), k.begin(), k.end());
        f.params += embedding_params;
      }
      if (vs == VS - 1 && u1 == first + per_chunk) {
        append(f.kernels, head_forward(model, sh));
        f.params += head_params;
      }
      r.params = f.params;
      fwd_units[vs].push_back(push(std::move(f)));
      if (!r.kernels.empty()) rec_units[vs].push_back(push(std::move(r)));
    }
    // Backward units run in reverse layer order.
    for (int u1 = first + per_chunk; u1 > first; u1 -= unit_layers) {
      const int u0 = u1 - unit_layers;
      const std::string tag = layer_units ? " layer " + std::to_string(u0) : "";
      Block b{"backward vstage " + std::to_string(vs) + tag, Phase::Backward, vs, u0, unit_layers, {}, 0};
      if (vs == VS - 1 && u1 == first + per_chunk) {
        append(b.kernels, head_backward(model, sh));
        b.params += head_params;
      }
      for (int l = u1 - 1; l >= u0; --l) {
        b.params += layer_params_rank(model, pc, s, l);
        append(b.kernels, layer_backward(model, sh, l));
      }
      if (vs == 0 && u0 == first) {
        append(b.kernels, embedding_backward(model, sh));
        b.params += embedding_params;
      }
      bwd_units[vs].push_back(push(std::move(b)));
    }
    std::reverse(rec_units[vs].begin(), rec_units[vs].end());  // recompute follows backward order
  }

  const double act_elems = static_cast<double>(s.micro_batch) * model.seq_len / s.cp * model.hidden;
  const double p2p_bytes = act_elems * activation_bytes(s.precision) / (s.scatter_gather_p2p ? s.tp : 1);
  const double gbytes = gradient_bytes(s), wbytes = weight_bytes(s);
  const int dp_group = s.dp * s.cp;
  // Megatron's schedules wait for each send before the next compute unless --overlap-p2p-comm.
  const Stream p2p_stream = s.overlap_p2p_comm ? Stream::PpComm : Stream::Compute;
  // A pipeline send or receive of one micro-batch's activations (or their gradients).
  auto p2p = [&](Op op, OpKind kind, Phase phase, int peer_stage, std::int64_t tag, std::vector<int> deps) {
    op.kind = kind;
    op.stream = kind == OpKind::Send ? p2p_stream : Stream::PpComm;
    op.phase = phase;
    op.peer_stage = peer_stage;
    op.bytes = p2p_bytes;
    op.tag = tag;
    op.deps = std::move(deps);
    return op;
  };

  plan.programs.resize(P);
  plan.params_per_rank_by_stage = params_per_rank_by_stage(model, s);
  for (int stage = 0; stage < P; ++stage) {
    auto& prog = plan.programs[stage];
    prog.stage = stage;
    auto& ops = prog.ops;
    auto add = [&ops](Op op) {
      ops.push_back(std::move(op));
      return static_cast<int>(ops.size()) - 1;
    };
    const double params = plan.params_per_rank_by_stage[stage];
    plan.params_per_stage_rank_max = std::max(plan.params_per_stage_rank_max, params);
    // ZeRO/FSDP groups: the whole DP x CP group, or with hybrid sharding the sharding group for
    // parameter gathers and gradient reduce-scatters plus an all-reduce of each shard across the
    // replicas (FSDP HYBRID_SHARD; MiCS).
    const bool hybrid = s.hybrid_sharding();
    const bool ds03 = s.deepspeed03_zero3();
    const GroupRole shard_role = hybrid ? GroupRole::DPShard : GroupRole::DP;
    // A gradient reduction of `bytes` (op `g` carries stream, phase, chunk and deps): one
    // collective over DP, or reduce-scatter in the shard group then all-reduce across replicas.
    auto grad_sync = [&](Op g, double bytes) {
      g.kind = OpKind::Collective;
      g.group = shard_role;
      // DeepSpeed 0.3.x stage 3 all-reduces gradients (contiguous_gradients false, its default).
      g.collective = s.zero >= 1 && !ds03 ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
      g.bytes = bytes;
      const int rs = add(g);
      if (!hybrid) return rs;
      Op r = g;
      r.group = GroupRole::DPReplica;
      r.collective = CollectiveKind::AllReduce;
      r.bytes = bytes / s.zero_shard();
      r.deps = {rs};
      return add(r);
    };

    // A gradient reduction on `stream` once compute op `after` is done (grad_sync completes it).
    auto grad_op = [](Stream stream, int after, int micro_batch, int chunk) {
      Op g;
      g.stream = stream;
      g.phase = Phase::GradSync;
      g.micro_batch = micro_batch;
      g.chunk = chunk;
      g.deps = {after};
      return g;
    };
    // ZeRO-3 parameter all-gather of a unit, prefetched at most one unit ahead: it may start once
    // the compute two units back has finished (FSDP's forward/backward prefetch of one unit).
    int prev_compute = -1, prev_compute2 = -1;
    std::vector<int> unit_grad_ops;
    // DeepSpeed 0.3.x: a module's gradient all-reduce is queued after the next module's gather (its
    // post-backward hook runs after that gather was prefetched, and both share the one process
    // group's NCCL stream, PyTorch ProcessGroupNCCL keeping one stream per device and group).
    std::optional<std::pair<Op, double>> pending_grad;
    auto flush_grad = [&] {
      if (pending_grad) unit_grad_ops.push_back(grad_sync(pending_grad->first, pending_grad->second));
      pending_grad.reset();
    };
    auto param_gather = [&](int blk, int) {
      Op g;
      g.kind = OpKind::Collective;
      g.stream = Stream::ParamComm;  // its own stream: gathers run ahead of reduce-scatters
      g.phase = Phase::ParamSync;
      g.group = shard_role;
      g.collective = CollectiveKind::AllGather;
      g.bytes = plan.blocks[blk].params * param_gather_bytes(s);
      if (prev_compute2 >= 0) g.deps = {prev_compute2};
      return g;
    };
    // DeepSpeed 0.3.x: a unit runs module by module, each behind its own gather (prefetched one
    // module ahead, as FSDP's units); `done` sees every piece's compute op and block.
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
        cdeps.push_back(add(param_gather(pb, ci)));
        flush_grad();
        Op c = base;
        c.kind = OpKind::Compute;
        c.phase = phase;
        c.block = pb;
        c.deps = cdeps;
        prev_compute2 = prev_compute;
        ci = prev_compute = add(c);
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
    // Buckets (Megatron-Core DDP, PyTorch DDP): consecutive units' parameters, filled in the
    // order the pass meets them; a bucket is synchronised once its last unit is done (gradients)
    // or before its first unit runs (weights). Returns the bucket index of every unit.
    const double bucket = s.bucket_size();
    auto buckets_of = [&](const std::vector<int>& units) {
      std::vector<int> id(units.size());
      double fill = 0;
      int b = 0;
      for (size_t u = 0; u < units.size(); ++u) {
        if (fill >= bucket) ++b, fill = 0;
        id[u] = b;
        fill += plan.blocks[units[u]].params;
      }
      return id;
    };
    auto bucket_params = [&](const std::vector<int>& units, const std::vector<int>& id, int b) {
      double p = 0;
      for (size_t u = 0; u < units.size(); ++u)
        if (id[u] == b) p += plan.blocks[units[u]].params;
      return p;
    };
    const bool gather_in_forward = s.bucketed_dp_sync() && s.zero >= 1 && s.overlap_param_gather;
    const bool grads_in_buckets = s.bucketed_dp_sync() && s.overlap_grad_reduce;

    for (size_t i = 0; i < steps.size(); ++i) {
      const auto& st = steps[i];
      const int vs = st.chunk * P + stage;
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
        const bool gather_here = gather_in_forward && static_cast<int>(i) == first_fwd_of_chunk[st.chunk];
        const auto fwd_bucket = gather_here ? buckets_of(fwd_units[vs]) : std::vector<int>{};
        for (size_t u = 0; u < fwd_units[vs].size(); ++u) {
          const int blk = fwd_units[vs][u];
          std::vector<int> cdeps = u == 0 ? deps : std::vector<int>{ci};
          if (ds03) {
            ci = run_modules(base, Phase::Forward, blk, cdeps, nullptr);
            continue;
          }
          if (zero3_units) cdeps.push_back(add(param_gather(blk, ci)));
          if (gather_here && (u == 0 || fwd_bucket[u] != fwd_bucket[u - 1])) {
            // The previous step's updated weights of this bucket: queued on the gather stream from
            // the start of the iteration (the steady state of the optimizer step's dispatch).
            Op g;
            g.kind = OpKind::Collective;
            g.stream = Stream::ParamComm;
            g.phase = Phase::ParamSync;
            g.chunk = st.chunk;
            g.group = shard_role;
            g.collective = CollectiveKind::AllGather;
            g.bytes = bucket_params(fwd_units[vs], fwd_bucket, fwd_bucket[u]) * wbytes;
            bucket_gather = add(g);
          }
          if (gather_here) cdeps.push_back(bucket_gather);
          Op c = base;
          c.kind = OpKind::Compute;
          c.phase = Phase::Forward;
          c.block = blk;
          c.deps = cdeps;
          prev_compute2 = prev_compute;
          ci = prev_compute = add(c);
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
        const bool reduce_here = grads_in_buckets && static_cast<int>(i) == last_bwd_of_chunk[st.chunk];
        const auto bwd_bucket = reduce_here ? buckets_of(bwd_units[vs]) : std::vector<int>{};
        for (size_t u = 0; u < bwd_units[vs].size(); ++u) {
          const int blk = bwd_units[vs][u];
          std::vector<int> cdeps = u == 0 ? deps : std::vector<int>{ci};
          if (ds03) {
            // DeepSpeed's forward hooks release the parameters after the recomputation, its
            // backward hooks gather them again; each module's gradients are all-reduced once its
            // backward is done (DeepSpeed 0.3.x, contiguous_gradients false).
            if (u < rec_units[vs].size())
              cdeps = {run_modules(base, Phase::Recompute, rec_units[vs][u], cdeps, nullptr)};
            ci = run_modules(base, Phase::Backward, blk, cdeps, [&](int c, int pb) {
              pending_grad.emplace(grad_op(Stream::ParamComm, c, st.micro_batch, st.chunk),
                                   plan.blocks[pb].params * gbytes);
            });
            continue;
          }
          if (zero3_units) cdeps.push_back(add(param_gather(blk, ci)));
          if (u < rec_units[vs].size()) {
            Op rc = base;
            rc.kind = OpKind::Compute;
            rc.phase = Phase::Recompute;
            rc.block = rec_units[vs][u];
            rc.deps = cdeps;
            cdeps = {add(rc)};
          }
          Op c = base;
          c.kind = OpKind::Compute;
          c.phase = Phase::Backward;
          c.block = blk;
          c.deps = cdeps;
          prev_compute2 = prev_compute;
          ci = prev_compute = add(c);
          if (reduce_here && (u + 1 == bwd_units[vs].size() || bwd_bucket[u + 1] != bwd_bucket[u])) {
            // The bucket's gradients are final: reduce them while the backward goes on.
            chunk_grad_ops.push_back(grad_sync(grad_op(Stream::DpComm, ci, -1, st.chunk),
                                               bucket_params(bwd_units[vs], bwd_bucket, bwd_bucket[u]) * gbytes));
          }
          if (zero3_units) {
            // FSDP reduce-scatters each unit's gradients as soon as its backward is done.
            unit_grad_ops.push_back(
                grad_sync(grad_op(Stream::DpComm, ci, st.micro_batch, st.chunk), plan.blocks[blk].params * gbytes));
          }
        }
        flush_grad();
        if (vs > 0) {
          add(p2p(base, OpKind::Send, Phase::Backward, (vs - 1) % P, p2p_tag(st.micro_batch, vs - 1, VS, false), {ci}));
        }
      }
    }
    const int last_compute = static_cast<int>(ops.size()) - 1;
    std::vector<int> sync_deps = chunk_grad_ops;
    sync_deps.insert(sync_deps.end(), unit_grad_ops.begin(), unit_grad_ops.end());
    if (dp_group > 1 && !s.overlap_grad_reduce && !zero3_units) {
      Op g;
      g.stream = Stream::DpComm;
      g.phase = Phase::GradSync;
      g.deps = {last_compute};
      sync_deps.push_back(grad_sync(g, params * gbytes));
    }
    // Tied word embeddings: the first and last stage all-reduce their copies' gradients (Megatron).
    if (P > 1 && model.tied_embeddings && (stage == 0 || stage == P - 1)) {
      Op e;
      e.kind = OpKind::Collective;
      e.stream = Stream::DpComm;
      e.phase = Phase::GradSync;
      e.group = GroupRole::Embedding;
      e.collective = CollectiveKind::AllReduce;
      e.bytes = static_cast<double>(model.vocab) * model.hidden / s.tp * gbytes;
      e.deps = {last_compute};
      sync_deps.push_back(add(e));
    }
    // Optimizer step over the rank's (sharded) parameters, once its gradients are final.
    const double local = params / (s.zero >= 1 ? s.zero_shard() : 1);
    std::vector<int> opt_deps = sync_deps;
    opt_deps.push_back(last_compute);
    // One compute op running `kernels` as the block `name`, after `deps`.
    auto optimizer_op = [&](const std::string& name, std::vector<Kernel> kernels, std::vector<int> deps) {
      Block b{name + " stage " + std::to_string(stage), Phase::Optimizer, -1, 0, 0, {}};
      b.kernels = std::move(kernels);
      Op o;
      o.kind = OpKind::Compute;
      o.phase = Phase::Optimizer;
      o.block = push(std::move(b));
      o.deps = std::move(deps);
      return add(o);
    };
    int oi = -1;
    if (s.optimizer_offload) {
      // ZeRO-Offload: gradients to host, CPU Adam on the host's fp32 state, weights back; each
      // step its own op so that the trace shows the host link and the host time apart
      // (models/workload/optimizer_kernels.hpp). They chain: no overlap with the GPU's work.
      std::vector<Kernel> ks = offloaded_optimizer_step_kernels(local, wbytes, s.precision);
      for (auto& k : ks) {
        const std::string name = "optimizer offload " + k.name;
        oi = optimizer_op(name, {std::move(k)}, oi < 0 ? opt_deps : std::vector<int>{oi});
      }
    } else {
      // Mixed-precision Adam on the GPU: memory-bound passes (models/workload/optimizer_kernels.hpp).
      oi = optimizer_op("optimizer", optimizer_step_kernels(local, gbytes, wbytes, s.precision), opt_deps);
    }
    if (dp_group > 1 && s.zero >= 1 && !zero3_units && !gather_in_forward) {
      // Distributed optimizer / ZeRO-1/2: gather the updated half-precision weights (ZeRO-3
      // gathers them per unit at the next use instead).
      Op ag;
      ag.kind = OpKind::Collective;
      ag.stream = Stream::DpComm;
      ag.phase = Phase::ParamSync;
      ag.group = shard_role;
      ag.collective = CollectiveKind::AllGather;
      ag.bytes = params * wbytes;
      ag.deps = {oi};
      add(ag);
    }
  }
  drop_unused_blocks(plan);
  return plan;
}

}  // namespace trainsim
