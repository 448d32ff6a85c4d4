// RankLayout: the closed-form shape of each group (group_stride, group_shape) against the groups'
// members enumerated rank by rank, over layouts that put groups inside a node, across nodes and
// straddling node boundaries.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "sim/plan/plan.hpp"

using namespace trainsim;

TEST(RankLayout, GroupShapeMatchesTheMembersOfEveryGroup) {
  std::mt19937 rng(11);
  auto pick = [&](std::initializer_list<int> v) { return *(v.begin() + rng() % v.size()); };
  int checked = 0;
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
    l.gpus_per_node = pick({1, 2, 4, 8, 6});
    for (GroupRole role : {GroupRole::TP, GroupRole::CP, GroupRole::DP, GroupRole::PP, GroupRole::EP, GroupRole::EDP,
                           GroupRole::Embedding, GroupRole::DPShard, GroupRole::DPReplica}) {
      const auto members = l.group_members(0, role);
      std::set<int> nodes;
      for (int r : members) nodes.insert(l.node_of(r));
      int rpn = 0, n = 0;
      l.group_shape(role, rpn, n);
      EXPECT_EQ(n, static_cast<int>(nodes.size()))
          << to_string(role) << " tp" << l.strategy.tp << " cp" << l.strategy.cp << " dp" << l.strategy.dp << " pp"
          << l.strategy.pp << " gpn" << l.gpus_per_node;
      EXPECT_EQ(rpn, std::max<int>(1, static_cast<int>(members.size()) / static_cast<int>(nodes.size())));
      EXPECT_EQ(l.group_size(role), static_cast<int>(members.size()));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 300 * 9);
}
