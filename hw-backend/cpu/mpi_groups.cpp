#include "hw-backend/cpu/mpi_groups.hpp"

#include <algorithm>

namespace trainsim::hw {

MpiGroups::~MpiGroups() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  for (auto& [role, c] : comms_)
    if (c != MPI_COMM_NULL) MPI_Comm_free(&c);
}

void MpiGroups::create(const Plan& plan, int rank, MPI_Comm world) {
  for (GroupRole role : {GroupRole::TP, GroupRole::CP, GroupRole::DP, GroupRole::PP, GroupRole::EP, GroupRole::EDP,
                         GroupRole::Embedding, GroupRole::DPShard, GroupRole::DPReplica}) {
    std::vector<int> members;
    try {
      members = plan.group_members(rank, role);
    } catch (const std::exception&) {
      members.clear();
    }
    auto it = std::find(members.begin(), members.end(), rank);
    int color = MPI_UNDEFINED, key = 0;
    if (it != members.end()) {
      color = *std::min_element(members.begin(), members.end());
      key = static_cast<int>(it - members.begin());
    }
    MPI_Comm c = MPI_COMM_NULL;
    MPI_Comm_split(world, color, key, &c);
    comms_[role] = c;
    keys_[role] = static_cast<long>(role) * 10'000'000L + (color == MPI_UNDEFINED ? 9'999'999L : color);
  }
}

long MpiGroups::key(GroupRole role) const {
  auto it = keys_.find(role);
  return it == keys_.end() ? -1 : it->second;
}

MPI_Comm MpiGroups::comm(GroupRole role) const {
  auto it = comms_.find(role);
  return it == comms_.end() ? MPI_COMM_NULL : it->second;
}

}  // namespace trainsim::hw
