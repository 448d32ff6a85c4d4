#include "sim/plan/plan_units.hpp"

#include <algorithm>
#include <tuple>

#include "models/util/errors.hpp"
#include "sim/plan/planner.hpp"

namespace trainsim {

std::vector<SideCollective> PlanUnits::gradient_sync(double bytes, double expert_bytes) const {
  const Strategy& s = strategy;
  // DeepSpeed 0.3.x stage 3 all-reduces gradients (contiguous_gradients false, its default).
  const auto kind = s.zero >= 1 && !module_pieces ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
  const double expert = expert_groups ? expert_bytes : 0.0;
  std::vector<SideCollective> out;
  const bool dense = expert <= 0 || bytes - expert > 0;
  if (dense) out.push_back({kind, shard_role, bytes - expert});
  if (s.hybrid_sharding() && dense)
    out.push_back({CollectiveKind::AllReduce, GroupRole::DPReplica, (bytes - expert) / s.zero_shard()});
  if (expert > 0 && s.edp() > 1) out.push_back({kind, GroupRole::EDP, expert});
  return out;
}

SideCollective PlanUnits::param_gather(double params) const {
  return {CollectiveKind::AllGather, shard_role, params * gather_bytes_per_param};
}

std::vector<SideCollective> PlanUnits::weight_gather(double params, double expert_params) const {
  const double expert = expert_groups ? expert_params : 0.0;
  std::vector<SideCollective> out;
  if (expert <= 0 || params - expert > 0)
    out.push_back({CollectiveKind::AllGather, shard_role, (params - expert) * weight_bytes_per_param});
  if (expert > 0 && strategy.edp() > 1)
    out.push_back({CollectiveKind::AllGather, GroupRole::EDP, expert * weight_bytes_per_param});
  return out;
}

int PlanUnits::optimizer_shard(bool expert) const {
  const Strategy& s = strategy;
  if (s.zero < 1) return 1;
  return expert && expert_groups ? std::max(1, s.edp()) : s.zero_shard();
}

Buckets PlanUnits::grad_buckets(int vs) const {
  const auto& v = vstages[vs];
  if (v.grad_of < 0) return {};
  return {bucket_of.data() + v.grad_of, bucket_params.data() + v.grad_params,
          bucket_expert_params.data() + v.grad_params, static_cast<std::size_t>(v.unit_count),
          static_cast<std::size_t>(v.grad_count)};
}

Buckets PlanUnits::weight_buckets(int vs) const {
  const auto& v = vstages[vs];
  if (v.weight_of < 0) return {};
  return {bucket_of.data() + v.weight_of, bucket_params.data() + v.weight_params,
          bucket_expert_params.data() + v.weight_params, static_cast<std::size_t>(v.unit_count),
          static_cast<std::size_t>(v.weight_count)};
}

namespace {

/// Buckets over the units of virtual stage `v` met in forward (or, `reverse`, backward) order,
/// appended to the units' bucket tables; sets the offsets.
void fill_buckets(PlanUnits& pu, const VirtualStageUnits& v, bool reverse, double bucket, int& of, int& params,
                  int& count) {
  of = static_cast<int>(pu.bucket_of.size());
  params = static_cast<int>(pu.bucket_params.size());
  const int n = v.unit_count;
  double fill = 0;
  count = 0;
  for (int i = 0; i < n; ++i) {
    const PlanUnit& u = pu.units[v.first_unit + (reverse ? n - 1 - i : i)];
    if (count == 0 || fill >= bucket)
      pu.bucket_params.push_back(0.0), pu.bucket_expert_params.push_back(0.0), fill = 0, ++count;
    pu.bucket_of.push_back(count - 1);
    pu.bucket_params.back() += u.trainable;
    pu.bucket_expert_params.back() += u.expert_trainable;
    fill += u.trainable;
  }
}

}  // namespace

PlanUnits plan_units(const TransformerConfig& model, const Strategy& s, int gpus_per_node) {
  PlanUnits pu;
  pu.strategy = s;
  pu.gpus_per_node = gpus_per_node;
  pu.model = model;
  pu.shard = layer_shard(s);
  pu.micro_batches = static_cast<int>(s.micro_batches());
  if (pu.micro_batches < 1) throw InternalError("planner: no micro-batches (strategy not resolved)");
  const int P = s.pp, VS = P * s.vp;
  const int dp_group = s.dp * s.cp;

  // Rules.
  pu.unit_gathers = s.zero >= 3 && dp_group > 1;
  pu.module_pieces = s.deepspeed03_zero3();
  pu.grads_in_buckets = s.bucketed_dp_sync() && s.overlap_grad_reduce;
  pu.gathers_in_forward = s.bucketed_dp_sync() && s.zero >= 1 && s.overlap_param_gather;
  pu.shard_role = s.hybrid_sharding() ? GroupRole::DPShard : GroupRole::DP;
  pu.expert_groups = model.moe.has_value() && s.zero <= 2 && !pu.module_pieces;
  pu.grad_bytes_per_param = gradient_bytes(s);
  pu.gather_bytes_per_param = param_gather_bytes(s);
  pu.weight_bytes_per_param = weight_bytes(s);
  const double act_elems = static_cast<double>(s.micro_batch) * model.seq_len / s.cp * model.hidden;
  pu.p2p_bytes = act_elems * activation_bytes(s.precision) / (s.scatter_gather_p2p ? s.tp : 1);
  pu.p2p_send_stream = s.overlap_p2p_comm ? Stream::PpComm : Stream::Compute;

  // Units: the whole chunk, or one layer each (ZeRO-3 units, bucketed synchronisation).
  const bool layer_units = pu.layer_units = pu.unit_gathers || s.bucketed_dp_sync();
  const ParamCount pc = count_parameters(model);
  const EdgeParams edge = edge_params_rank(model, pc, s);
  const auto ranges = virtual_stage_layer_ranges(model.layers, VS);
  const bool recompute = s.recompute != Recompute::None;
  auto& seg = pu.segments;
  seg.reserve(static_cast<std::size_t>(model.layers) * (recompute ? 3 : 2) + 4);
  pu.units.reserve(layer_units ? model.layers : VS);
  pu.vstages.resize(VS);
  for (int vs = 0; vs < VS; ++vs) {
    auto& v = pu.vstages[vs];
    std::tie(v.first_layer, v.layers) = ranges[vs];
    const int unit_layers = layer_units ? 1 : v.layers;
    const int last = v.first_layer + v.layers;
    v.first_unit = static_cast<int>(pu.units.size());
    for (int u0 = v.first_layer; u0 < last; u0 += unit_layers) {
      const int u1 = u0 + unit_layers;
      const bool embedding = vs == 0 && u0 == v.first_layer, head = vs == VS - 1 && u1 == last;
      PlanUnit u;
      u.first_layer = u0;
      u.layers = unit_layers;
      for (int l = u0; l < u1; ++l) u.params += layer_params_rank(model, pc, s, l);
      if (embedding) u.params += edge.embedding;
      if (head) u.params += edge.head;
      u.trainable = u.params;
      for (int l = u0; l < u1; ++l) u.expert_trainable += layer_expert_params_rank(model, pc, s, l);
      if (model.lora) {  // the adapters alone (split over tp as the products they sit beside)
        u.trainable = 0;
        u.expert_trainable = 0;  // the adapters are synchronised with the dense parameters
        for (int l = u0; l < u1; ++l) u.trainable += lora_layer_params_per_rank(model, s.tp, l);
      }
      auto pass = [&](Phase phase, auto&& fill) {
        UnitPass p;
        p.begin = static_cast<int>(seg.size());
        fill(phase);
        p.end = static_cast<int>(seg.size());
        return p;
      };
      u.forward = pass(Phase::Forward, [&](Phase ph) {
        if (embedding) seg.push_back({ModelPart::Embedding, ph, -1});
        for (int l = u0; l < u1; ++l) seg.push_back({ModelPart::Layer, ph, l});
        if (head) seg.push_back({ModelPart::Head, ph, -1});
      });
      u.backward = pass(Phase::Backward, [&](Phase ph) {
        if (head) seg.push_back({ModelPart::Head, ph, -1});
        for (int l = u1 - 1; l >= u0; --l) seg.push_back({ModelPart::Layer, ph, l});
        if (embedding) seg.push_back({ModelPart::Embedding, ph, -1});
      });
      if (recompute)
        u.recompute = pass(Phase::Recompute, [&](Phase ph) {
          for (int l = u0; l < u1; ++l) seg.push_back({ModelPart::Layer, ph, l});
        });
      pu.units.push_back(u);
    }
    v.unit_count = static_cast<int>(pu.units.size()) - v.first_unit;
    if (pu.grads_in_buckets) fill_buckets(pu, v, true, s.bucket_size(), v.grad_of, v.grad_params, v.grad_count);
    if (pu.gathers_in_forward)
      fill_buckets(pu, v, false, s.bucket_size(), v.weight_of, v.weight_params, v.weight_count);
  }

  // After the last backward, per stage.
  const auto params = params_per_rank_by_stage(model, s);
  pu.tails.resize(P);
  for (int stage = 0; stage < P; ++stage) {
    StageTail& t = pu.tails[stage];
    t.params = params[stage];
    t.trainable = t.params;
    for (int vs = stage; vs < VS; vs += P)
      for (const PlanUnit& u : pu.units_of(vs)) t.expert_trainable += u.expert_trainable;
    if (model.lora) {
      t.trainable = 0;
      for (int vs = stage; vs < VS; vs += P)
        for (const PlanUnit& u : pu.units_of(vs)) t.trainable += u.trainable;
    }
    if (dp_group > 1 && !s.overlap_grad_reduce && !pu.unit_gathers)
      t.grad_sync =
          pu.gradient_sync(t.trainable * pu.grad_bytes_per_param, t.expert_trainable * pu.grad_bytes_per_param);
    // Tied word embeddings: the first and last stage all-reduce their copies' gradients (Megatron).
    if (P > 1 && model.tied_embeddings && !model.lora && (stage == 0 || stage == P - 1))
      t.embedding_grad_bytes = static_cast<double>(model.vocab) * model.hidden / s.tp * pu.grad_bytes_per_param;
    t.optimizer_params =
        (t.trainable - t.expert_trainable) / pu.optimizer_shard(false) + t.expert_trainable / pu.optimizer_shard(true);
    // Distributed optimizer / ZeRO-1/2: gather the updated half-precision weights (ZeRO-3 gathers
    // them per unit at the next use instead; with overlap_param_gather, in the next forward).
    if (dp_group > 1 && s.zero >= 1 && !pu.unit_gathers && !pu.gathers_in_forward)
      t.weight_gather = pu.weight_gather(t.trainable, t.expert_trainable);
  }
  return pu;
}

std::vector<Kernel> segment_kernels(const TransformerConfig& model, const LayerShard& shard, Recompute recompute,
                                    const BlockSegment& segment) {
  const bool fwd = segment.pass == Phase::Forward;
  switch (segment.part) {
    case ModelPart::Embedding: return fwd ? embedding_forward(model, shard) : embedding_backward(model, shard);
    case ModelPart::Head: return fwd ? head_forward(model, shard) : head_backward(model, shard);
    case ModelPart::Layer:
      if (segment.pass == Phase::Recompute) return layer_recompute(model, shard, segment.layer, recompute);
      return fwd ? layer_forward(model, shard, segment.layer) : layer_backward(model, shard, segment.layer);
  }
  return {};
}

std::vector<Block> module_pieces(const Block& b) {
  double weights = 0;
  for (const auto& k : b.kernels) weights += k.weights;
  const double scale = weights > 0 ? std::min(1.0, b.params / weights) : 0.0;
  std::vector<Block> pieces;
  for (const auto& k : b.kernels) {
    if (pieces.empty() || k.weights > 0) {
      Block p;
      p.name = b.name + " module " + std::to_string(pieces.size());
      p.phase = b.phase;
      p.virtual_stage = b.virtual_stage;
      p.first_layer = b.first_layer;
      p.layers = b.layers;
      pieces.push_back(std::move(p));
    }
    pieces.back().kernels.push_back(k);
    pieces.back().params += k.weights * scale;
  }
  if (!pieces.empty()) pieces.front().params += b.params - weights * scale;
  // Trained parameters in the same proportion (a LoRA model's pieces hold its adapters' share).
  for (auto& p : pieces) p.trainable_params = b.params > 0 ? p.params * (b.trainable_params / b.params) : 0.0;
  return pieces;
}

}  // namespace trainsim
