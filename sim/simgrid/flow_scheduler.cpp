#include "sim/simgrid/flow_scheduler.hpp"

#include "sim/cost/sm_contention.hpp"
#include "sim/cost/stragglers.hpp"

#include <simgrid/s4u.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <numeric>
#include <unordered_set>

#include "models/util/errors.hpp"
#include "sim/simgrid/comm_mapping.hpp"

namespace trainsim {

namespace sg4 = simgrid::s4u;

struct FlowScheduler::JobData {
  const SimJob* job = nullptr;
  std::unique_ptr<ComputeModel> compute;
  std::unique_ptr<OpCosts> costs;
  /// Extra seconds of each compute op (stage, op) from the collectives beside it taking SMs,
  /// as the analytic schedule places them (sim/cost/sm_contention.hpp).
  std::vector<std::vector<double>> sm_delay;
  /// Per block, its inline collectives' traffic across nodes (empty vector: no block has any).
  std::vector<InlineFabric> fabric;
  std::vector<int> rep_of_rank;  ///< -1: not simulated (a folded sibling)
  std::vector<StageTemplate> stages;
  Trace trace;
  int gpu(int rank) const { return job->gpu_of_rank.empty() ? rank : job->gpu_of_rank[rank]; }
};

struct FlowScheduler::Active {
  std::vector<sg4::CommPtr> comms;
  std::vector<int> flow;  ///< index into flows_
  std::vector<int> task;
};

namespace {
/// Task ids of storage flows in the active set (no task waits on them).
constexpr int kLoadFlow = -1, kCheckpointFlow = -2;
std::uint64_t tag_key(int rep, std::int64_t tag) {
  return (static_cast<std::uint64_t>(rep) << 40) ^ static_cast<std::uint64_t>(tag & ((1ll << 40) - 1));
}
}  // namespace

FlowScheduler::FlowScheduler(const Fabric& f, const std::vector<SimJob>& jobs, const SimOptions& opt)
    : fabric_(f), opt_(opt), gpn_(f.spec().gpus_per_node), active_(std::make_unique<Active>()) {
  int g = 0;
  // A partly used domain (ClusterSpec::ranks_per_node) folds by what divides its used GPUs too.
  for (const auto& j : jobs) g = std::gcd(g, std::gcd(j.plan->strategy.tp, std::gcd(gpn_, j.cluster.used_per_node())));
  // A degraded NIC breaks the symmetry folding relies on (its node's NICs are no longer alike).
  fold_ = opt.fold && f.spec().degraded_nics.empty() ? std::max(1, g) : 1;
  for (const auto& j : jobs) {
    auto d = std::make_unique<JobData>();
    d->job = &j;
    d->compute = std::make_unique<ComputeModel>(j.cluster.gpu, j.profile);
    d->costs = std::make_unique<OpCosts>(*j.plan, j.cluster, *d->compute);
    if (j.cluster.nccl_sms != 0) d->sm_delay = plan_sm_contention_delays(*j.plan, *d->costs, j.cluster);
    if (has_inline_fabric_traffic(*d->costs)) {
      // Segments of one part, pass and layer kind carry the same traffic: computed once each.
      std::map<std::array<int, 3>, InlineFabric> by_segment;
      d->fabric.resize(j.plan->blocks.size());
      for (std::size_t b = 0; b < j.plan->blocks.size(); ++b) {
        const Block& blk = j.plan->blocks[b];
        if (blk.segments.empty()) {
          d->fabric[b] = inline_fabric(*d->costs, blk);
          continue;
        }
        for (const auto& g : blk.segments) {
          const std::array<int, 3> key{static_cast<int>(g.part), static_cast<int>(g.pass),
                                       g.part == ModelPart::Layer ? j.plan->model.layer_kind(g.layer) : -1};
          auto it = by_segment.find(key);
          if (it == by_segment.end()) it = by_segment.emplace(key, inline_fabric(*d->costs, g)).first;
          d->fabric[b] += it->second;
        }
      }
    }
    d->trace.engine = "simgrid";
    const Plan& plan = *j.plan;
    if (!j.gpu_of_rank.empty() && static_cast<int>(j.gpu_of_rank.size()) != plan.world())
      throw InternalError("simgrid engine: placement size differs from the job's world size");
    d->rep_of_rank.assign(plan.world(), -1);
    const std::vector<double> clocks = rank_group_clocks(plan, j.cluster);
    for (int r = 0; r < plan.world(); ++r) {
      const RankCoord c = plan.coord(r);
      if (c.tp % fold_ != 0) continue;
      Rep rep;
      rep.job = static_cast<int>(jobs_.size());
      rep.rank = r;
      rep.gpu = d->gpu(r);
      rep.stage = c.pp;
      if (!clocks.empty()) rep.slowdown = 1.0 / clocks[r];
      d->rep_of_rank[r] = static_cast<int>(reps_.size());
      d->trace.ranks.push_back(r);
      reps_.push_back(std::move(rep));
    }
    for (const auto& prog : plan.programs) {
      StageTemplate st;
      const size_t n = prog.ops.size();
      st.succ.resize(n);
      st.pending0.assign(n, 0);
      st.ordinal.assign(n, -1);
      int prev_on_stream[kNumStreams];
      std::fill(prev_on_stream, prev_on_stream + kNumStreams, -1);
      std::unordered_map<int, int> role_count;
      for (size_t i = 0; i < n; ++i) {
        const Op& op = prog.ops[i];
        std::vector<int> deps = op.deps;
        const int s = static_cast<int>(op.stream);
        if (op.kind != OpKind::Recv) {
          if (prev_on_stream[s] >= 0) deps.push_back(prev_on_stream[s]);
          prev_on_stream[s] = static_cast<int>(i);
        }
        std::sort(deps.begin(), deps.end());
        deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
        st.pending0[i] = static_cast<int>(deps.size());
        for (int dd : deps) st.succ[dd].push_back(static_cast<int>(i));
        if (op.kind == OpKind::Collective) st.ordinal[i] = role_count[static_cast<int>(op.group)]++;
      }
      d->stages.push_back(std::move(st));
    }
    jobs_.push_back(std::move(d));
  }
  limit_inline_flows();
  std::vector<std::size_t> events(jobs_.size(), 0);
  for (const auto& r : reps_) events[r.job] += jobs_[r.job]->stages[r.stage].pending0.size();
  for (size_t j = 0; j < jobs_.size(); ++j) jobs_[j]->trace.events.reserve(events[j]);
  for (size_t j = 0; j < jobs.size() && storage_job_ < 0; ++j)
    if (jobs[j].storage.servers > 0 && f.nodes() > 1 &&
        (jobs[j].storage.load_bytes > 0 || jobs[j].storage.checkpoint_bytes > 0)) {
      storage_job_ = static_cast<int>(j);
      storage_ = jobs[j].storage;
    }
  for (auto& r : reps_) {
    const auto& st = jobs_[r.job]->stages[r.stage];
    r.pending = st.pending0;
    r.start.assign(st.pending0.size(), 0.0);
    remaining_ += st.pending0.size();
  }
}

FlowScheduler::~FlowScheduler() = default;

void FlowScheduler::limit_inline_flows() {
  double flows = 0, in_flight = 0;
  for (const auto& r : reps_) {
    const auto& d = *jobs_[r.job];
    if (d.fabric.empty()) continue;
    auto peers = [&](const InlineFabricRole& f) { return f.all_to_all ? d.costs->shape(f.role).nodes - 1.0 : 1.0; };
    double widest = 0;
    for (const Op& op : d.job->plan->programs[r.stage].ops) {
      if (op.kind != OpKind::Compute) continue;
      double n = 0;
      for (const auto& f : d.fabric[op.block].roles) n += peers(f);
      flows += n;
      widest = std::max(widest, n);
    }
    in_flight += widest;
  }
  if (flows * in_flight <= opt_.inline_flow_budget) return;
  for (auto& d : jobs_) d->fabric.clear();
  std::fprintf(stderr,
               "simgrid engine: the inline collectives that cross nodes (expert all-to-alls) would be %.3g flows per "
               "iteration, up to %.3g at once: charged in closed form instead (the fabric's oversubscription by "
               "formula, as the analytic engine does). Fewer simulated ranks (rank folding, smaller jobs) keep them "
               "as flows.\n",
               flows, in_flight);
}

std::vector<int> FlowScheduler::rep_gpus() const {
  std::vector<int> g;
  g.reserve(reps_.size());
  for (const auto& r : reps_) g.push_back(r.gpu);
  return g;
}

int FlowScheduler::group_of(int job, int rank, GroupRole role) {
  const std::uint64_t key = (static_cast<std::uint64_t>(job) << 48) | (static_cast<std::uint64_t>(role) << 40) |
                            static_cast<std::uint64_t>(rank);
  auto it = group_index_.find(key);
  if (it != group_index_.end()) return it->second;
  const auto& d = *jobs_[job];
  Group g;
  for (int m : d.job->plan->group_members(rank, role))
    if (d.rep_of_rank[m] >= 0) g.reps.push_back(d.rep_of_rank[m]);
  const int m = static_cast<int>(g.reps.size());
  const int node0 = reps_[g.reps[0]].gpu / gpn_;
  int k = 0;
  for (int r : g.reps) k += reps_[r].gpu / gpn_ == node0;
  g.next.assign(m, -1);
  for (int j = 0; j < m; ++j) {
    const int nx = (j + k) % m;
    if (reps_[g.reps[nx]].gpu / gpn_ != reps_[g.reps[j]].gpu / gpn_) g.next[j] = nx;
  }
  const int idx = static_cast<int>(groups_.size());
  for (int r : g.reps) group_index_[(key & ~((1ull << 40) - 1)) | static_cast<std::uint64_t>(reps_[r].rank)] = idx;
  groups_.push_back(std::move(g));
  return idx;
}

int FlowScheduler::peer_rep(const Rep& r, const Op& op) const {
  const auto& d = *jobs_[r.job];
  RankCoord c = d.job->plan->coord(r.rank);
  c.pp = op.peer_stage;
  return d.rep_of_rank[d.job->plan->rank_of(c)];
}

std::vector<std::pair<int, int>> FlowScheduler::gpu_pairs() {
  std::unordered_set<std::uint64_t> seen;
  std::vector<std::pair<int, int>> out;
  auto add = [&](int a, int b) {
    if (a / gpn_ == b / gpn_) return;
    if (seen.insert((static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b)).second)
      out.emplace_back(a, b);
  };
  for (int rep = 0; rep < static_cast<int>(reps_.size()); ++rep) {
    const Rep& r = reps_[rep];
    const auto& d = *jobs_[r.job];
    const auto& ops = d.job->plan->programs[r.stage].ops;
    for (const Op& op : ops) {
      if (op.kind == OpKind::Compute && !d.fabric.empty()) {
        for (const auto& f : d.fabric[op.block].roles)
          for (int peer : inline_peers(rep, f.role, f.all_to_all)) add(r.gpu, peer);
      } else if (op.kind == OpKind::Send) {
        add(r.gpu, reps_[peer_rep(r, op)].gpu);
      } else if (op.kind == OpKind::Collective) {
        const Group& g = groups_[group_of(r.job, r.rank, op.group)];
        for (size_t j = 0; j < g.reps.size(); ++j)
          if (g.next[j] >= 0) add(reps_[g.reps[j]].gpu, reps_[g.reps[g.next[j]]].gpu);
      }
    }
  }
  return out;
}

std::vector<std::pair<int, int>> FlowScheduler::storage_pairs() const {
  std::vector<std::pair<int, int>> out;
  if (storage_job_ < 0) return out;
  for (const auto& r : reps_)
    if (r.job == storage_job_) out.emplace_back(server_of(r), r.gpu);
  return out;
}

void FlowScheduler::launch_storage_flows() {
  // Every GPU of the job reads its share of the iteration's data (and writes its share of the
  // checkpoint) over its own NIC; a representative's flow carries one GPU's share, the server
  // links being folded like bundles (1/fold of their capacity).
  if (storage_job_ < 0) return;
  const double world = jobs_[storage_job_]->job->plan->world();
  for (const auto& r : reps_) {
    if (r.job != storage_job_) continue;
    const int s = server_of(r);
    for (const bool write : {false, true}) {
      const double b = (write ? storage_.checkpoint_bytes : storage_.load_bytes) / world;
      if (b < 1) continue;
      const int route = platform_->storage_route_id(s, r.gpu, write);
      if (route < 0) throw InternalError("simgrid engine: no route prepared for a storage flow");
      const auto bytes = static_cast<std::uint64_t>(std::llround(b));
      auto* src = write ? platform_->host(r.gpu) : platform_->server(s);
      auto* dst = write ? platform_->server(s) : platform_->host(r.gpu);
      active_->comms.push_back(sg4::Comm::sendto_async(src, dst, bytes));
      active_->flow.push_back(static_cast<int>(flows_.size()));
      active_->task.push_back(write ? kCheckpointFlow : kLoadFlow);
      flows_.push_back({route, sg4::Engine::get_clock(), 0.0, static_cast<double>(bytes), static_cast<double>(bytes)});
    }
  }
}

int FlowScheduler::new_task(Task t) {
  if (!free_tasks_.empty()) {
    const int i = free_tasks_.back();
    free_tasks_.pop_back();
    tasks_[i] = t;
    return i;
  }
  tasks_.push_back(t);
  return static_cast<int>(tasks_.size()) - 1;
}

void FlowScheduler::at(double t, int task) { timers_.push({t, seq_++, task}); }

void FlowScheduler::launch_flow(int task, int src, int dst, const CommMapping& m, double& max_latency) {
  const int route = platform_->route_id(src, dst);
  if (route < 0) throw InternalError("simgrid engine: no route prepared for a flow");
  max_latency = std::max(max_latency, platform_->route(route).latency);
  const auto bytes = static_cast<std::uint64_t>(std::llround(m.flow_bytes));
  active_->comms.push_back(sg4::Comm::sendto_async(platform_->host(src), platform_->host(dst), bytes));
  active_->flow.push_back(static_cast<int>(flows_.size()));
  active_->task.push_back(task);
  flows_.push_back({route, sg4::Engine::get_clock(), 0.0, m.wire_bytes, m.flow_bytes});
  ++tasks_[task].flows_left;
}

const std::vector<int>& FlowScheduler::inline_peers(int rep, GroupRole role, bool all_to_all) {
  const std::uint64_t key = (static_cast<std::uint64_t>(rep) << 8) | static_cast<std::uint64_t>(role);
  auto it = inline_peers_.find(key);
  if (it != inline_peers_.end()) return it->second;
  const Rep& r = reps_[rep];
  const Group& g = groups_[group_of(r.job, r.rank, role)];
  std::vector<int> peers;
  const int node = r.gpu / gpn_;
  if (!all_to_all) {
    for (std::size_t j = 0; j < g.reps.size(); ++j)
      if (g.reps[j] == rep && g.next[j] >= 0) peers.push_back(reps_[g.reps[g.next[j]]].gpu);
  } else {
    // The group's members by node (in rank order), and this rep's position among its node's.
    std::map<int, std::vector<int>> by_node;
    for (int m : g.reps) by_node[reps_[m].gpu / gpn_].push_back(reps_[m].gpu);
    const auto& mine = by_node[node];
    const auto pos = std::find(mine.begin(), mine.end(), r.gpu) - mine.begin();
    for (const auto& [n, gpus] : by_node)
      if (n != node) peers.push_back(gpus[static_cast<std::size_t>(pos) % gpus.size()]);
  }
  return inline_peers_.emplace(key, std::move(peers)).first->second;
}

void FlowScheduler::launch_inline_flows(int task, int rep, const InlineFabric& f) {
  double lat = 0;
  const int src = reps_[rep].gpu;
  for (const auto& role : f.roles) {
    const std::vector<int>& peers = inline_peers(rep, role.role, role.all_to_all);
    if (peers.empty()) continue;
    // An all-to-all's inter-node bytes go in equal shares to every other node of the group.
    CommMapping m;
    m.inter_node = true;
    m.wire_bytes = role.nic_bytes / static_cast<double>(peers.size());
    m.flow_bytes = role.flow_bytes / static_cast<double>(peers.size());
    for (int peer : peers) launch_flow(task, src, peer, m, lat);
  }
}

void FlowScheduler::start_op(int rep, int i, double t) {
  Rep& r = reps_[rep];
  auto& d = *jobs_[r.job];
  const Op& op = d.job->plan->programs[r.stage].ops[i];
  r.start[i] = t;
  switch (op.kind) {
    case OpKind::Compute: {
      const double block_s = d.costs->block(op.block).total() + d.costs->block(op.block).compute * (r.slowdown - 1.0) +
                             (d.sm_delay.empty() ? 0.0 : d.sm_delay[r.stage][i]);
      const InlineFabric* f = d.fabric.empty() ? nullptr : &d.fabric[op.block];
      if (!f || f->empty()) {
        at(t + block_s, new_task({Task::OpDone, rep, i}));
        return;
      }
      // The block without its inline fabric collectives' exposed seconds, then their flows, then
      // what of their simulated seconds is neither flow nor hidden behind compute. Uncontended,
      // the three add up to the block's closed-form time on a non-blocking fabric.
      double lat = 0;
      for (const auto& role : f->roles)
        for (int peer : inline_peers(rep, role.role, role.all_to_all))
          lat = std::max(lat, platform_->route(platform_->route_id(r.gpu, peer)).latency);
      const double rest = f->simulated_s - f->flow_s() - lat - f->hidden_s;
      const int task = new_task({Task::FabricStart, rep, i});
      tasks_[task].residual = std::max(0.0, rest);
      at(t + std::max(0.0, block_s - f->closed_exposed_s + std::min(0.0, rest)), task);
      return;
    }
    case OpKind::Recv: {
      const std::uint64_t k = tag_key(rep, op.tag);
      if (sent_.count(k)) {
        sent_.erase(k);
        at(t, new_task({Task::OpDone, rep, i}));
      } else {
        waiting_[k] = {rep, i};
      }
      return;
    }
    case OpKind::Send: {
      const int peer = peer_rep(r, op);
      const bool same_node = reps_[peer].gpu / gpn_ == r.gpu / gpn_;
      const CommMapping m = map_p2p(op.bytes, same_node, d.job->cluster);
      const int task = new_task({Task::SendDone, rep, i});
      if (!m.inter_node) {
        at(t + m.analytic_s, task);
        return;
      }
      double lat = 0;
      launch_flow(task, r.gpu, reps_[peer].gpu, m, lat);
      tasks_[task].residual = m.residual(lat);
      return;
    }
    case OpKind::Collective: {
      const int g = group_of(r.job, r.rank, op.group);
      const std::uint64_t key =
          (static_cast<std::uint64_t>(g) << 24) | static_cast<std::uint64_t>(d.stages[r.stage].ordinal[i]);
      auto it = coll_index_.find(key);
      if (it == coll_index_.end()) {
        it = coll_index_.emplace(key, static_cast<int>(colls_.size())).first;
        colls_.push_back({r.job, g, {}, 0.0});
      }
      Coll& c = colls_[it->second];
      c.arrived.emplace_back(rep, i);
      const Group& grp = groups_[g];
      if (c.arrived.size() < grp.reps.size()) return;
      const int ci = it->second;
      coll_index_.erase(it);
      c.launch = t;
      for (const auto& [mr, mo] : c.arrived) reps_[mr].start[mo] = t;
      const CommMapping m = map_collective(op, *d.costs);
      // The ZeRO-3 runtime's own path (copies, synchronisation) follows the NCCL op, off the fabric.
      const double software = d.costs->runtime_overhead(op);
      const int task = new_task({Task::CollDone, -1, -1, ci});
      double lat = 0;
      if (m.inter_node)
        for (size_t j = 0; j < grp.reps.size(); ++j)
          if (grp.next[j] >= 0) launch_flow(task, reps_[grp.reps[j]].gpu, reps_[grp.reps[grp.next[j]]].gpu, m, lat);
      if (tasks_[task].flows_left == 0)
        at(t + m.analytic_s + software, task);
      else
        tasks_[task].residual = m.residual(lat) + software;
      return;
    }
  }
}

void FlowScheduler::finish_op(int rep, int i, double t) {
  Rep& r = reps_[rep];
  auto& d = *jobs_[r.job];
  const Op& op = d.job->plan->programs[r.stage].ops[i];
  TraceEvent e =
      trace_event(op, r.rank, i, r.start[i], t, op.kind == OpKind::Compute ? d.costs->block(op.block).comm : 0.0);
  d.trace.events.push_back(std::move(e));
  d.trace.iteration_time = std::max(d.trace.iteration_time, t);
  --remaining_;
  if (progress_) progress_->tick();
  for (int s : d.stages[r.stage].succ[i])
    if (--r.pending[s] == 0) start_op(rep, s, t);
}

void FlowScheduler::task_done(int id, double t) {
  const Task task = tasks_[id];
  free_tasks_.push_back(id);
  if (task.kind == Task::FabricStart) {
    const int done = new_task({Task::OpDone, task.rep, task.op});
    const Rep& r = reps_[task.rep];
    const auto& d = *jobs_[r.job];
    launch_inline_flows(done, task.rep, d.fabric[d.job->plan->programs[r.stage].ops[task.op].block]);
    tasks_[done].residual = task.residual;
    if (tasks_[done].flows_left == 0) at(t + task.residual, done);
    return;
  }
  if (task.kind == Task::CollDone) {
    Coll& c = colls_[task.coll];
    auto arrived = std::move(c.arrived);
    for (const auto& [rep, op] : arrived) finish_op(rep, op, t);
    return;
  }
  finish_op(task.rep, task.op, t);
  if (task.kind == Task::SendDone) {
    const Rep& r = reps_[task.rep];
    const Op& op = jobs_[r.job]->job->plan->programs[r.stage].ops[task.op];
    const std::uint64_t k = tag_key(peer_rep(r, op), op.tag);
    auto w = waiting_.find(k);
    if (w != waiting_.end()) {
      const auto [rep, i] = w->second;
      waiting_.erase(w);
      finish_op(rep, i, t);
    } else {
      sent_[k] = t;
    }
  }
}

void FlowScheduler::run(const SgPlatform& platform) {
  platform_ = &platform;
  if (opt_.progress) progress_ = std::make_unique<ProgressBar>(remaining_, stderr, true, "simgrid:", "ops", 2.0);
  for (int rep = 0; rep < static_cast<int>(reps_.size()); ++rep) {
    const auto& pend = reps_[rep].pending;
    for (int i = 0; i < static_cast<int>(pend.size()); ++i)
      if (pend[i] == 0) start_op(rep, i, 0.0);
  }
  launch_storage_flows();
  auto& A = *active_;
  constexpr double kTimeEps = 1e-12;
  while (true) {
    const double now = sg4::Engine::get_clock();
    while (!timers_.empty() && timers_.top().t <= now + kTimeEps) {
      const Timer tm = timers_.top();
      timers_.pop();
      task_done(tm.task, std::max(tm.t, 0.0));
    }
    if (A.comms.empty() && timers_.empty()) break;
    const double next = timers_.empty() ? -1.0 : timers_.top().t;
    if (A.comms.empty()) {
      sg4::this_actor::sleep_until(next);
      continue;
    }
    const ssize_t k = sg4::Comm::wait_any_for(A.comms, next < 0 ? -1.0 : std::max(0.0, next - now));
    if (k < 0) continue;
    const double t = sg4::Engine::get_clock();
    const int task = A.task[k];
    flows_[A.flow[k]].t1 = t;
    A.comms[k] = std::move(A.comms.back());
    A.comms.pop_back();
    A.flow[k] = A.flow.back();
    A.flow.pop_back();
    A.task[k] = A.task.back();
    A.task.pop_back();
    if (task == kLoadFlow) {
      load_end_ = std::max(load_end_, t);
      continue;
    }
    if (task == kCheckpointFlow) {
      checkpoint_end_ = std::max(checkpoint_end_, t);
      continue;
    }
    if (--tasks_[task].flows_left == 0) at(t + tasks_[task].residual, task);
  }
  if (progress_) progress_->finish();
  if (remaining_ != 0)
    throw InternalError("simgrid engine: the plan deadlocks (" + std::to_string(remaining_) + " ops never ran)");
}

SimResult FlowScheduler::take_result(const LinkFolding& folding, const SgPlatform& platform) {
  SimResult res;
  res.fold = fold_;
  res.flows = flows_.size();
  if (storage_job_ >= 0) {
    res.storage.simulated = true;
    res.storage.servers = storage_.servers;
    res.storage.load_bytes = storage_.load_bytes;
    res.storage.load_s = load_end_;
    res.storage.checkpoint_bytes = storage_.checkpoint_bytes;
    res.storage.checkpoint_s = checkpoint_end_;
  }
  double horizon = 0;
  for (auto& d : jobs_) {
    auto& ev = d->trace.events;
    std::sort(ev.begin(), ev.end(), [](const TraceEvent& a, const TraceEvent& b) {
      if (a.start != b.start) return a.start < b.start;
      if (a.rank != b.rank) return a.rank < b.rank;
      return a.op < b.op;
    });
    horizon = std::max(horizon, d->trace.iteration_time);
    res.traces.push_back(std::move(d->trace));
  }
  // Link statistics: bytes per platform link, and utilisation from each flow's mean rate.
  const auto& links = folding.links();
  std::vector<double> bytes(links.size(), 0.0), padded(links.size(), 0.0), peak(links.size(), 0.0);
  std::vector<std::pair<double, double>> sweep;  // (time, +/- rate) per link, built link by link
  std::vector<std::vector<int>> flows_of(opt_.link_stats ? links.size() : 0);
  for (int fi = 0; fi < static_cast<int>(flows_.size()); ++fi) {
    const auto& fl = flows_[fi];
    for (int l : platform.route(fl.route).links) {
      bytes[l] += fl.wire * links[l].divisor;
      padded[l] += fl.padded;
      if (opt_.link_stats) flows_of[l].push_back(fi);
    }
  }
  for (size_t l = 0; l < flows_of.size(); ++l) {
    sweep.clear();
    for (int fi : flows_of[l]) {
      const auto& fl = flows_[fi];
      const double dt = fl.t1 - fl.t0;
      if (dt <= 0) continue;
      sweep.emplace_back(fl.t0, fl.padded / dt);
      sweep.emplace_back(fl.t1, -fl.padded / dt);
    }
    std::sort(sweep.begin(), sweep.end());
    double cur = 0;
    for (const auto& [t, dr] : sweep) peak[l] = std::max(peak[l], cur += dr);
    peak[l] = std::min(1.0, peak[l] / links[l].capacity);
  }
  res.links.horizon = horizon;
  std::vector<LinkClassStats> cls(kLinkClassCount);
  std::vector<int> used;
  for (size_t l = 0; l < links.size(); ++l) {
    if (bytes[l] <= 0) continue;
    used.push_back(static_cast<int>(l));
    auto& c = cls[static_cast<int>(links[l].cls)];
    const double mean = horizon > 0 ? padded[l] / (links[l].capacity * horizon) : 0.0;
    c.links += 1;
    c.bytes += bytes[l];
    c.peak_util = std::max(c.peak_util, peak[l]);
    c.mean_util += mean;
  }
  for (int k = 0; k < kLinkClassCount; ++k) {
    if (cls[k].links == 0) continue;
    cls[k].cls = to_string(static_cast<LinkClass>(k));
    cls[k].mean_util /= cls[k].links;
    res.links.classes.push_back(cls[k]);
  }
  std::stable_sort(used.begin(), used.end(), [&](int a, int b) { return bytes[a] > bytes[b]; });
  for (size_t j = 0; j < used.size() && j < 10; ++j) {
    const int l = used[j];
    res.links.top.push_back({links[l].name, to_string(links[l].cls), bytes[l], peak[l],
                             horizon > 0 ? padded[l] / (links[l].capacity * horizon) : 0.0});
  }
  return res;
}

}  // namespace trainsim
