// RankLayout: the closed-form shape of each group (group_stride, group_shape) against the groups'
// members enumerated rank by rank, over layouts that put groups inside a node, across nodes and
// straddling node boundaries.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "sim/plan/plan.hpp"

using namespace trainsim;

TEST(RankLayout, GroupShapeIsTheWidestOfEveryGroup) {
  // The shape is that of the group spanning the most nodes: with 6 GPUs per node (or 72 per
  // NVL72 domain), groups of 4 straddle a boundary while rank 0's does not.
  std::mt19937 rng(11);
  auto pick = [&](std::initializer_list<int> v) { return *(v.begin() + rng() % v.size()); };
  int checked = 0, straddled = 0;
  for (int i = 0; i < 300; ++i) {
    RankLayout l;
    l.strategy.tp = pick({1, 2, 4, 8});
    l.strategy.cp = pick({1, 2, 4});
    l.strategy.dp = pick({1, 2, 3, 4, 8, 16});
    l.strategy.pp = pick({1, 2, 3, 4});
    l.strategy.zero = 3;
    const int dpc = l.strategy.dp * l.strategy.cp;
    l.strategy.ep = pick({1, 2, 4});
    if (dpc % l.strategy.ep) l.strategy.ep = 1;
    l.strategy.shard_group = pick({0, 2});
    if (l.strategy.shard_group && dpc % 2) l.strategy.shard_group = 0;
    l.gpus_per_node = pick({1, 2, 4, 8, 6, 12});
    for (GroupRole role : {GroupRole::TP, GroupRole::CP, GroupRole::DP, GroupRole::PP, GroupRole::EP, GroupRole::EDP,
                           GroupRole::Embedding, GroupRole::DPShard, GroupRole::DPReplica}) {
      int widest = 0;
      std::size_t size = 0;
      for (int rank = 0; rank < l.world(); ++rank) {
        const auto members = l.group_members(rank, role);
        std::set<int> nodes;
        for (int r : members) nodes.insert(l.node_of(r));
        widest = std::max(widest, static_cast<int>(nodes.size()));
        size = members.size();
      }
      int rpn = 0, n = 0;
      l.group_shape(role, rpn, n);
      std::set<int> first;
      for (int r : l.group_members(0, role)) first.insert(l.node_of(r));
      straddled += widest > static_cast<int>(first.size());
      EXPECT_EQ(n, widest) << to_string(role) << " tp" << l.strategy.tp << " cp" << l.strategy.cp << " dp"
                           << l.strategy.dp << " pp" << l.strategy.pp << " ep" << l.strategy.ep << " gpn"
                           << l.gpus_per_node;
      EXPECT_EQ(rpn, std::max<int>(1, static_cast<int>(size) / widest));
      EXPECT_EQ(l.group_size(role), static_cast<int>(size));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 300 * 9);
  EXPECT_GT(straddled, 20);  // the draw does reach groups that rank 0's group does not show
}

TEST(RankLayout, ExpertGroupsOnAnNvl72DomainStraddleUnlessTheJobUses64OfIts72Gpus) {
  RankLayout l;
  l.strategy.tp = 1;
  l.strategy.dp = 64;
  l.strategy.ep = 64;
  l.strategy.pp = 9;  // 576 ranks on 8 domains
  l.gpus_per_node = 72;
  int rpn = 0, n = 0;
  l.group_shape(GroupRole::EP, rpn, n);
  EXPECT_EQ(n, 2);  // stage 1's 64 ranks are 8 of domain 0 and 56 of domain 1
  l.group_shape(GroupRole::TP, rpn, n);
  EXPECT_EQ(n, 1);
  l.strategy.pp = 8;
  l.gpus_per_node = 64;  // gpus_used 64: one stage per domain
  l.group_shape(GroupRole::EP, rpn, n);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(rpn, 64);
  l.strategy.tp = 16;  // 72 / 16 is not whole: the fifth TP group of a domain crosses into the next
  l.strategy.dp = 4;
  l.strategy.ep = 1;
  l.gpus_per_node = 72;
  l.group_shape(GroupRole::TP, rpn, n);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(rpn, 8);
}
