#include "sim/scorer/unit_costs.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "sim/plan/planner.hpp"

namespace trainsim {

namespace {

ComputeCost compute_cost(const BlockCost& b, HostSide host = HostSide::None) {
  ComputeCost c;
  c.seconds = b.total();
  c.inner_comm = b.comm;
  c.compute_bound_share = b.compute > 0 ? b.compute_bound / b.compute : 1.0;
  c.host = host;
  c.flops = b.flops;
  return c;
}

HostSide host_side_of(const std::vector<Kernel>& ks) {
  if (ks.empty() || !std::all_of(ks.begin(), ks.end(), [](const Kernel& k) { return host_side(k.kind); }))
    return HostSide::None;
  return std::any_of(ks.begin(), ks.end(), [](const Kernel& k) { return k.kind == KernelKind::HostCopy; })
             ? HostSide::Copy
             : HostSide::Cpu;
}

}  // namespace

UnitScheduleCosts cost_units(const PlanUnits& pu, const OpCosts& costs) {
  UnitScheduleCosts out;
  const int P = pu.strategy.pp, VS = pu.virtual_stages();
  // Units of one kind issue the same collectives: each distinct one is costed once.
  std::vector<std::pair<std::tuple<int, double, int, int>, SideCost>> costed;
  auto side = [&](const SideCollective& c, Phase phase) {
    const auto key =
        std::make_tuple(static_cast<int>(c.kind), c.bytes, static_cast<int>(c.group), static_cast<int>(phase));
    for (const auto& [k, v] : costed)
      if (k == key) return v;
    const SideCost v{costs.collective(c.kind, c.bytes, c.group, phase), costs.group_sms(c.group)};
    costed.emplace_back(key, v);
    return v;
  };
  auto chain = [&](double bytes, double expert_bytes = 0) {
    SideChain ch;
    for (const auto& c : pu.gradient_sync(bytes, expert_bytes)) ch.push_back(side(c, Phase::GradSync));
    return ch;
  };
  // Collectives issued back to back on one stream (a bucket's dense and expert weight gathers):
  // their seconds add up; they hold the larger of their SM counts.
  auto in_sequence = [&](const std::vector<SideCollective>& cs, Phase phase) {
    SideCost total{0.0, 0};
    for (const auto& c : cs) {
      const SideCost one = side(c, phase);
      total.seconds += one.seconds;
      total.sms = std::max(total.sms, one.sms);
    }
    return total;
  };
  // DeepSpeed 0.3.x module pieces of a pass, by the pass's segment signature and parameters
  // (layers of one kind give the same pieces; a recomputation holds its unit's parameters, the
  // embedding's included, without the embedding's kernels).
  std::map<std::pair<std::vector<std::array<int, 3>>, double>, std::vector<PieceCost>> pieces_of;
  auto pieces = [&](const PlanUnit& u, const UnitPass& pass, Phase phase, bool grads) {
    std::pair<std::vector<std::array<int, 3>>, double> key{{}, u.params};
    auto& sig = key.first;
    for (const BlockSegment* g = pu.begin(pass); g != pu.end(pass); ++g)
      sig.push_back({static_cast<int>(g->part), static_cast<int>(g->pass),
                     g->part == ModelPart::Layer ? pu.model.layer_kind(g->layer) : -1});
    auto it = pieces_of.find(key);
    if (it != pieces_of.end()) return it->second;
    Block b;
    b.phase = phase;
    b.params = u.params;
    b.trainable_params = u.trainable;
    for (const BlockSegment* g = pu.begin(pass); g != pu.end(pass); ++g) {
      auto k = segment_kernels(pu.model, pu.shard, pu.strategy.recompute, *g);
      b.kernels.insert(b.kernels.end(), k.begin(), k.end());
    }
    std::vector<PieceCost> ps;
    for (const Block& piece : module_pieces(b)) {
      PieceCost pc;
      pc.compute = compute_cost(costs.cost(piece.kernels));
      pc.gather = side(pu.param_gather(piece.params), Phase::ParamSync);
      if (grads) pc.grad = chain(piece.trainable_params * pu.grad_bytes_per_param);
      ps.push_back(std::move(pc));
    }
    return pieces_of.emplace(std::move(key), std::move(ps)).first->second;
  };

  // A unit whose passes are the same segments (by part, pass and layer kind) over as many
  // parameters as the unit before it costs the same (the layers of one kind, as a rule).
  auto same_kind = [&](const UnitPass& a, const UnitPass& b) {
    if (a.end - a.begin != b.end - b.begin) return false;
    for (const BlockSegment *x = pu.begin(a), *y = pu.begin(b); x != pu.end(a); ++x, ++y)
      if (x->part != y->part || x->pass != y->pass ||
          (x->part == ModelPart::Layer && pu.model.layer_kind(x->layer) != pu.model.layer_kind(y->layer)))
        return false;
    return true;
  };
  const PlanUnit* previous = nullptr;
  out.vstages.resize(VS);
  out.units.reserve(pu.units.size());
  for (int vs = 0; vs < VS; ++vs) {
    VirtualStageCosts& c = out.vstages[vs];
    const int stage = vs % P;
    c.first_unit = static_cast<int>(out.units.size());
    for (const PlanUnit& u : pu.units_of(vs)) {
      if (previous && previous->params == u.params && previous->trainable == u.trainable &&
          same_kind(previous->forward, u.forward) && same_kind(previous->backward, u.backward) &&
          same_kind(previous->recompute, u.recompute)) {
        out.units.push_back(out.units.back());
        continue;
      }
      previous = &u;
      UnitCosts uc;
      uc.forward = compute_cost(costs.cost(pu.begin(u.forward), pu.end(u.forward)));
      uc.backward = compute_cost(costs.cost(pu.begin(u.backward), pu.end(u.backward)));
      uc.recomputes = !u.recompute.empty();
      if (uc.recomputes) uc.recompute = compute_cost(costs.cost(pu.begin(u.recompute), pu.end(u.recompute)));
      if (pu.module_pieces) {
        uc.forward_pieces = pieces(u, u.forward, Phase::Forward, false);
        uc.backward_pieces = pieces(u, u.backward, Phase::Backward, true);
        if (uc.recomputes) uc.recompute_pieces = pieces(u, u.recompute, Phase::Recompute, false);
      } else if (pu.unit_gathers) {
        uc.gather = side(pu.param_gather(u.params), Phase::ParamSync);
        uc.grad = chain(u.trainable * pu.grad_bytes_per_param);
      }
      out.units.push_back(std::move(uc));
    }
    c.unit_count = static_cast<int>(out.units.size()) - c.first_unit;
    const Buckets gb = pu.grad_buckets(vs), wb = pu.weight_buckets(vs);
    c.first_grad_bucket = static_cast<int>(out.grad_buckets.size());
    c.grad_buckets = static_cast<int>(gb.count);
    for (std::size_t b = 0; b < gb.count; ++b)
      out.grad_buckets.push_back(chain(gb.params[b] * pu.grad_bytes_per_param, gb.expert[b] * pu.grad_bytes_per_param));
    c.first_weight_bucket = static_cast<int>(out.weight_buckets.size());
    c.weight_buckets = static_cast<int>(wb.count);
    for (std::size_t b = 0; b < wb.count; ++b)
      out.weight_buckets.push_back(in_sequence(pu.weight_gather(wb.params[b], wb.expert[b]), Phase::ParamSync));
    if (vs + 1 < VS) c.send_forward = costs.p2p(stage, (vs + 1) % P, pu.p2p_bytes);
    if (vs > 0) c.send_backward = costs.p2p(stage, (vs - 1) % P, pu.p2p_bytes);
  }

  out.tails.resize(P);
  // Stages holding as many parameters run the same optimizer step (the middle stages, usually).
  std::vector<std::pair<double, FixedList<ComputeCost, 4>>> optimizer_of;
  for (int stage = 0; stage < P; ++stage) {
    const StageTail& t = pu.tails[stage];
    TailCosts& tc = out.tails[stage];
    for (const auto& c : t.grad_sync) tc.grad_sync.push_back(side(c, Phase::GradSync));
    if (t.embedding_grad_bytes > 0)
      tc.embedding = side({CollectiveKind::AllReduce, GroupRole::Embedding, t.embedding_grad_bytes}, Phase::GradSync);
    auto it = std::find_if(optimizer_of.begin(), optimizer_of.end(),
                           [&](const auto& o) { return o.first == t.optimizer_params; });
    if (it == optimizer_of.end()) {
      FixedList<ComputeCost, 4> steps;
      for (const Block& step : optimizer_steps(pu, t))
        steps.push_back(compute_cost(costs.cost(step.kernels), host_side_of(step.kernels)));
      optimizer_of.emplace_back(t.optimizer_params, std::move(steps));
      it = optimizer_of.end() - 1;
    }
    tc.optimizer = it->second;
    tc.weight_gather = in_sequence(t.weight_gather, Phase::ParamSync);
  }
  return out;
}

}  // namespace trainsim
