#include "sim/plan/plan.hpp"

#include <algorithm>
#include <numeric>
#include <set>

#include "models/util/errors.hpp"

namespace trainsim {

double Block::flops() const {
  double f = 0;
  for (const auto& k : kernels) f += k.flops;
  return f;
}

const char* to_string(OpKind k) {
  switch (k) {
    case OpKind::Compute: return "compute";
    case OpKind::Collective: return "collective";
    case OpKind::Send: return "send";
    case OpKind::Recv: return "recv";
  }
  return "?";
}
const char* to_string(Stream s) {
  switch (s) {
    case Stream::Compute: return "compute";
    case Stream::TpComm: return "tp-comm";
    case Stream::PpComm: return "pp-comm";
    case Stream::DpComm: return "dp-comm";
    case Stream::ParamComm: return "param-comm";
  }
  return "?";
}
const char* to_string(Phase p) {
  switch (p) {
    case Phase::Forward: return "forward";
    case Phase::Backward: return "backward";
    case Phase::Recompute: return "recompute";
    case Phase::GradSync: return "grad-sync";
    case Phase::ParamSync: return "param-sync";
    case Phase::Optimizer: return "optimizer";
  }
  return "?";
}

RankCoord RankLayout::coord(int rank) const {
  const auto& s = strategy;
  RankCoord c;
  c.tp = rank % s.tp;
  rank /= s.tp;
  c.cp = rank % s.cp;
  rank /= s.cp;
  c.dp = rank % s.dp;
  c.pp = rank / s.dp;
  return c;
}

int RankLayout::rank_of(const RankCoord& c) const {
  const auto& s = strategy;
  return c.tp + s.tp * (c.cp + s.cp * (c.dp + s.dp * c.pp));
}

int RankLayout::group_size(GroupRole role) const {
  const auto& s = strategy;
  switch (role) {
    case GroupRole::TP: return s.tp;
    case GroupRole::CP: return s.cp;
    case GroupRole::DP: return s.dp * s.cp;  // gradients are reduced over DP x CP (Megatron)
    case GroupRole::PP: return s.pp;
    case GroupRole::EP: return s.ep;
    case GroupRole::EDP: return s.edp();
    case GroupRole::Embedding: return s.pp > 1 ? 2 : 1;
    case GroupRole::DPShard: return s.zero_shard();
    case GroupRole::DPReplica: return s.zero_replicas();
    case GroupRole::None: return 1;
  }
  return 1;
}

std::vector<int> RankLayout::group_members(int rank, GroupRole role) const {
  const auto& s = strategy;
  const RankCoord me = coord(rank);
  std::vector<int> out;
  RankCoord c = me;
  // Groups over the flattened DP x CP index: the block of `size` consecutive indices holding
  // this rank, or every `stride`-th index starting from this rank's position in its block.
  const int flat = me.dp * s.cp + me.cp;
  auto add_flat = [&](int f) {
    c.dp = f / s.cp;
    c.cp = f % s.cp;
    out.push_back(rank_of(c));
  };
  auto dp_block = [&](int size) {
    for (int f = flat / size * size; f < flat / size * size + size; ++f) add_flat(f);
  };
  auto dp_stride = [&](int stride) {
    for (int f = flat % stride; f < s.dp * s.cp; f += stride) add_flat(f);
  };
  switch (role) {
    case GroupRole::TP:
      for (c.tp = 0; c.tp < s.tp; ++c.tp) out.push_back(rank_of(c));
      break;
    case GroupRole::CP:
      for (c.cp = 0; c.cp < s.cp; ++c.cp) out.push_back(rank_of(c));
      break;
    case GroupRole::DP:
      for (c.dp = 0; c.dp < s.dp; ++c.dp)
        for (c.cp = 0; c.cp < s.cp; ++c.cp) out.push_back(rank_of(c));
      break;
    case GroupRole::PP:
      for (c.pp = 0; c.pp < s.pp; ++c.pp) out.push_back(rank_of(c));
      break;
    case GroupRole::EP:
    case GroupRole::EDP: {
      // Megatron-Core's expert rank order over a stage's flattened tp-cp-dp index f: etp fastest,
      // then ep, then edp (f = etp_i + etp x (ep_i + ep x edp_i)). With etp = tp, EP is a block of
      // consecutive data-parallel (x context) indices.
      const int etp = s.expert_tp(), fl = me.tp + s.tp * flat;
      const int etp_i = fl % etp, ep_i = fl / etp % s.ep, edp_i = fl / (etp * s.ep);
      auto add = [&](int f) {
        c.tp = f % s.tp;
        add_flat(f / s.tp);
      };
      if (role == GroupRole::EP)
        for (int e = 0; e < s.ep; ++e) add(etp_i + etp * (e + s.ep * edp_i));
      else
        for (int e = 0; e < s.edp(); ++e) add(etp_i + etp * (ep_i + s.ep * e));
      break;
    }
    // With TP x CP inside a node first, a shard group of gpus_per_node / (tp x cp) consecutive
    // indices is one node (FSDP HYBRID_SHARD's usual layout).
    case GroupRole::DPShard: dp_block(s.zero_shard()); break;
    case GroupRole::DPReplica: dp_stride(s.zero_shard()); break;
    case GroupRole::Embedding:
      if (s.pp > 1) {
        c.pp = 0;
        out.push_back(rank_of(c));
        c.pp = s.pp - 1;
        out.push_back(rank_of(c));
      } else {
        out.push_back(rank);
      }
      break;
    case GroupRole::None: out.push_back(rank); break;
  }
  return out;
}

long long RankLayout::group_stride(GroupRole role) const {
  const auto& s = strategy;
  const long long tp = s.tp, cp = s.cp, dp = s.dp;
  switch (role) {
    case GroupRole::TP: return 1;
    case GroupRole::CP:
    case GroupRole::DP:
    case GroupRole::DPShard: return tp;  // consecutive data-parallel (x context) indices
    case GroupRole::EP: return s.expert_tp();
    case GroupRole::EDP: return static_cast<long long>(s.expert_tp()) * s.ep;
    case GroupRole::DPReplica: return tp * s.zero_shard();
    case GroupRole::PP: return tp * cp * dp;
    case GroupRole::Embedding: return tp * cp * dp * std::max(1, s.pp - 1);
    case GroupRole::None: return 1;
  }
  return 1;
}

void RankLayout::group_shape(GroupRole role, int& ranks_per_node, int& nodes) const {
  // Every group of a role has the same shape under the regular rank order: rank 0's group is the
  // ranks 0, d, 2d, ... (group_stride). Steps of a node or more put every member on a node of its
  // own; shorter steps leave no node between the first and the last member's empty.
  const long long n = group_size(role), d = group_stride(role), g = std::max(1, gpus_per_node);
  nodes = n <= 1 ? 1 : static_cast<int>(d >= g ? n : (n - 1) * d / g + 1);
  // A node (scale-up domain) whose size is not a multiple of the groups' block of n x d ranks, nor a
  // divisor of it (64-GPU EP groups on 72-GPU NVL72 domains), has groups straddling two domains:
  // the groups tile blocks of n x d ranks from bases j*n*d + i (i < d), and the slowest group, the
  // one spanning the most domains, sets the pace of the collective.
  // (The embedding pair joins the first and the last stage: its bases are the first stage's ranks.)
  const long long block = n * d, world_size = world();
  const long long bases = role == GroupRole::Embedding ? world_size / std::max(1, strategy.pp) : d;
  if (n > 1 && d < g && g % block != 0 && block % g != 0) {
    const long long period = g / std::gcd(g, block);
    for (long long j = 0; j < period && j * block < world_size; ++j)
      for (long long i = 0; i < std::min(bases, g); ++i) {
        const long long b = j * block + i;
        if (b + (n - 1) * d >= world_size) break;
        nodes = std::max(nodes, static_cast<int>((b + (n - 1) * d) / g - b / g + 1));
      }
  }
  ranks_per_node = std::max<int>(1, static_cast<int>(n / nodes));
}

std::vector<RankOp> Plan::instantiate(int rank) const {
  const RankCoord me = coord(rank);
  if (me.pp < 0 || me.pp >= static_cast<int>(programs.size()))
    throw InternalError("plan: rank " + std::to_string(rank) + " has no program");
  const auto& prog = programs[me.pp];
  std::vector<RankOp> out;
  out.reserve(prog.ops.size());
  for (const auto& op : prog.ops) {
    RankOp r;
    r.op = &op;
    if (op.kind == OpKind::Send || op.kind == OpKind::Recv) {
      RankCoord p = me;
      p.pp = op.peer_stage;
      r.peer = rank_of(p);
    } else if (op.kind == OpKind::Collective) {
      r.members = group_members(rank, op.group);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace trainsim
