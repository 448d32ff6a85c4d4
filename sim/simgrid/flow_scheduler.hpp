#pragma once
// FlowScheduler: replays the Plan's stage programs for every simulated rank as discrete events on
// SimGrid's clock. It keeps the analytic engine's event semantics (sim/analytic/analytic_engine.cpp):
// an op starts once its dependencies have ended and the previous non-receive op of its stream has
// ended; a receive ends when both its dependencies and the matching send have ended; a collective
// starts when every (simulated) member has reached it and ends for all members together.
// Compute ops are timers of their OpCosts duration (inline TP/CP/EP collectives inside a node
// costed analytically); inter-node sends and collectives become SimGrid flows (comm_mapping.hpp),
// all jobs and groups sharing the platform's links. A compute op whose inline collectives cross
// nodes (expert all-to-alls of an EP group spanning nodes: sim/cost/inline_fabric.hpp) runs as a
// timer for the rest of its block, then those collectives' NIC bytes as flows -- one per peer
// node for an all-to-all (aggregated per node pair and per block), the ring successor otherwise --
// then their analytic residual.
//
// One driver actor runs the whole simulation: it waits on the in-flight flows with
// Comm::wait_any_for, the timeout being the next timer of its own event queue. The concurrent flow
// count stays near the number of simulated ranks, which keeps Comm::sendto_async's per-completion
// list removal (quadratic in concurrent comms, see the notes) cheap.
#include <cstdint>
#include <memory>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/util/progress.hpp"
#include "sim/cost/inline_fabric.hpp"
#include "sim/cost/op_costs.hpp"
#include "sim/simgrid/comm_mapping.hpp"
#include "sim/simgrid/sg_platform.hpp"
#include "sim/simgrid/sim_job.hpp"

namespace trainsim {

class FlowScheduler {
 public:
  FlowScheduler(const Fabric& f, const std::vector<SimJob>& jobs, const SimOptions& opt);
  ~FlowScheduler();
  int fold() const { return fold_; }
  /// GPUs that host a simulated rank, and the ordered GPU pairs any flow will use.
  std::vector<int> rep_gpus() const;
  std::vector<std::pair<int, int>> gpu_pairs();
  /// Storage traffic to simulate (nullptr: none) and the (server, GPU) pairs its flows use.
  const StorageLoad* storage() const { return storage_job_ < 0 ? nullptr : &storage_; }
  std::vector<std::pair<int, int>> storage_pairs() const;
  /// Runs the simulation; call from inside a SimGrid actor.
  void run(const SgPlatform& platform);
  SimResult take_result(const LinkFolding& folding, const SgPlatform& platform);

 private:
  struct StageTemplate {
    std::vector<std::vector<int>> succ;
    std::vector<int> pending0;
    std::vector<int> ordinal;  ///< collectives: index among the program's collectives of that role
  };
  struct JobData;
  struct Rep {
    int job = 0, rank = 0, gpu = 0, stage = 0;
    double slowdown = 1.0;  ///< compute time factor: 1 / clock of its TP x CP group (stragglers.hpp)
    std::vector<int> pending;
    std::vector<double> start;
  };
  struct Group {
    std::vector<int> reps;  ///< simulated members, in ring order
    std::vector<int> next;  ///< ring successor (index into reps) on another node, -1: none
  };
  struct Coll {
    int job = 0, group = 0;
    std::vector<std::pair<int, int>> arrived;  ///< (rep, op)
    double launch = 0;
  };
  struct Task {
    /// FabricStart: the compute part of a block with inline fabric traffic has ended; its flows start.
    enum Kind { OpDone, SendDone, CollDone, FabricStart } kind = OpDone;
    int rep = -1, op = -1, coll = -1;
    int flows_left = 0;
    double residual = 0;
  };
  struct Timer {
    double t;
    std::uint64_t seq;
    int task;
    bool operator>(const Timer& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };
  struct FlowRecord {
    int route;
    double t0, t1, wire, padded;
  };

  int group_of(int job, int rank, GroupRole role);
  int peer_rep(const Rep& r, const Op& op) const;
  /// GPUs a rep sends its inline collective traffic of `role` to: one per other node of its group
  /// for an all-to-all (the member at the same position on that node, i.e. on the same rail), the
  /// ring successor otherwise (empty: none across nodes).
  const std::vector<int>& inline_peers(int rep, GroupRole role, bool all_to_all);
  void launch_inline_flows(int task, int rep, const InlineFabric& f);
  /// Drops the inline fabric flows (back to the closed form) when they exceed
  /// SimOptions::inline_flow_budget.
  void limit_inline_flows();
  int new_task(Task t);
  void at(double t, int task);
  void start_op(int rep, int op, double t);
  void finish_op(int rep, int op, double t);
  void task_done(int task, double t);
  void launch_flow(int task, int src_gpu, int dst_gpu, const CommMapping& m, double& max_latency);
  int server_of(const Rep& r) const { return (r.gpu / gpn_) % storage_.servers; }
  void launch_storage_flows();

  const Fabric& fabric_;
  const SgPlatform* platform_ = nullptr;
  SimOptions opt_;
  int fold_ = 1;
  int gpn_ = 8;
  std::vector<std::unique_ptr<JobData>> jobs_;
  std::vector<Rep> reps_;
  std::vector<Group> groups_;
  std::unordered_map<std::uint64_t, int> group_index_;
  std::unordered_map<std::uint64_t, std::vector<int>> inline_peers_;  ///< (rep, role) -> peer GPUs
  std::vector<Coll> colls_;
  std::unordered_map<std::uint64_t, int> coll_index_;
  std::vector<Task> tasks_;
  std::vector<int> free_tasks_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::uint64_t seq_ = 0;
  std::unordered_map<std::uint64_t, double> sent_;                  ///< (receiver rep, tag) -> send end
  std::unordered_map<std::uint64_t, std::pair<int, int>> waiting_;  ///< (receiver rep, tag) -> (rep, op)
  std::vector<FlowRecord> flows_;
  struct Active;
  std::unique_ptr<Active> active_;
  std::size_t remaining_ = 0;
  std::unique_ptr<ProgressBar> progress_;  ///< SimOptions::progress
  int storage_job_ = -1;                   ///< job whose storage traffic is simulated
  StorageLoad storage_;
  double load_end_ = 0, checkpoint_end_ = 0;
};

}  // namespace trainsim
