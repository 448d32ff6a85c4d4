#pragma once
// MPI communicators for the Plan's groups: one MPI_Comm_split per group role, colour = the
// group's lowest rank, key = position in Plan::group_members (so ring order is the Plan's).
// Every rank takes part in every split (MPI_Comm_split is collective), with MPI_UNDEFINED when
// it belongs to no group of that role (e.g. the embedding group on middle pipeline stages).
#include <mpi.h>

#include <map>

#include "sim/plan/plan.hpp"

namespace trainsim::hw {

class MpiGroups {
 public:
  MpiGroups() = default;
  MpiGroups(const MpiGroups&) = delete;
  MpiGroups& operator=(const MpiGroups&) = delete;
  ~MpiGroups();
  void create(const Plan& plan, int rank, MPI_Comm world);
  /// The rank's communicator for `role` (MPI_COMM_NULL when it has none).
  MPI_Comm comm(GroupRole role) const;
  /// A key naming the rank's group instance of `role` (same on every member).
  long key(GroupRole role) const;

 private:
  std::map<GroupRole, MPI_Comm> comms_;
  std::map<GroupRole, long> keys_;
};

}  // namespace trainsim::hw
